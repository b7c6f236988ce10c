package dev.baton.example.vision;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The width and height of a PNG, read from its header without decoding it.
 *
 * @param width width in pixels
 * @param height height in pixels
 */
record PngSize(int width, int height) {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    static PngSize of(byte[] png) throws IOException {
        if (png.length < 24) {
            throw new IOException("not a PNG: only " + png.length + " bytes");
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) {
                throw new IOException("not a PNG: the signature is missing");
            }
        }
        ByteBuffer header = ByteBuffer.wrap(png, 16, 8);
        int width = header.getInt();
        int height = header.getInt();
        if (width < 1 || height < 1) {
            throw new IOException("not a PNG: its header gives " + width + "x" + height);
        }
        return new PngSize(width, height);
    }
}
