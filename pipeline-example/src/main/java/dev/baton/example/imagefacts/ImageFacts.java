package dev.baton.example.imagefacts;

import java.util.List;

/**
 * Facts about one image, read from its pixels and bytes.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param bytes size of the encoded file
 * @param sha256 hex SHA-256 of the encoded file
 * @param meanLuminance mean Rec. 601 luma of the pixels, 0 (black) to 255 (white)
 * @param distinctColours how many different colours the pixels use
 * @param dominantColours the most common colours, most common first, at most five
 */
public record ImageFacts(
        int width,
        int height,
        long bytes,
        String sha256,
        double meanLuminance,
        int distinctColours,
        List<ColourShare> dominantColours) {

    /** Copies the list. */
    public ImageFacts {
        dominantColours = List.copyOf(dominantColours);
    }

    /**
     * A colour and how much of the image it covers.
     *
     * @param hex the colour as {@code #rrggbb}
     * @param share the fraction of pixels, in (0, 1]
     */
    public record ColourShare(String hex, double share) {}
}
