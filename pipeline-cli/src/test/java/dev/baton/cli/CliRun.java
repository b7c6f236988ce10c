package dev.baton.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One in-process run of the CLI: its exit code and what it printed. */
record CliRun(int code, String out, String err) {
    /**
     * @param env the environment the CLI sees
     * @param args the arguments
     * @return what happened
     */
    static CliRun of(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BatonCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), env::get, args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
    }
}
