package dev.ivl.djl.internal;

import dev.ivl.core.Limits;
import dev.ivl.core.ModelFormatException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a UTF-8 text file (JSONL data, corpora), split on the bytes and decoded one at a time, so that a
 * defect is reported at its own line (a decoder reading ahead in blocks blames an earlier one) and no line longer
 * than {@link Limits#MAX_JSONL_LINE_CHARS} bytes is ever held in memory. A UTF-8 byte order mark before the first
 * line and a carriage return before a line feed are dropped. Not API.
 */
public final class TextLines implements AutoCloseable {
    private final java.nio.file.Path file;
    private final InputStream in;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int number;

    /**
     * @param file the file, named in messages
     * @param in its bytes, closed with this reader
     */
    public TextLines(java.nio.file.Path file, InputStream in) {
        this.file = file;
        this.in = new BufferedInputStream(in, 1 << 16);
    }

    /**
     * @return the next line without its terminator, or null at the end of the file
     * @throws ModelFormatException naming the file and line if the line is not UTF-8 or is too long
     * @throws IOException if the file cannot be read
     */
    public String next() throws IOException {
        line.reset();
        int b = in.read();
        if (b < 0) {
            return null;
        }
        number++;
        while (b >= 0 && b != '\n') {
            if (line.size() >= Limits.MAX_JSONL_LINE_CHARS) {
                throw new ModelFormatException(file, "line " + number + " is longer than "
                        + Limits.MAX_JSONL_LINE_CHARS + " bytes (dev.ivl.core.Limits)");
            }
            line.write(b);
            b = in.read();
        }
        byte[] bytes = line.toByteArray();
        int from = number == 1 && bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
        int to = bytes.length > from && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            return utf8.decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, "line " + number + ": not valid UTF-8", e);
        }
    }

    /** @return the number of the line {@link #next} returned last, from 1 */
    public int number() {
        return number;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
