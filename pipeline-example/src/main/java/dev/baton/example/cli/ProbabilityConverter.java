package dev.baton.example.cli;

import picocli.CommandLine;

/** Reads a probability P: a number from 0 to 1, such as {@code 0.3}. */
public final class ProbabilityConverter implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
        double p;
        try {
            p = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a probability: use a number from 0 to 1, such as 0.3");
        }
        if (!(p >= 0.0 && p <= 1.0)) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a probability: it must be from 0 to 1");
        }
        return p;
    }
}
