package io.sluice.enginesim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A raw HTTP/1.1 exchange over a socket, reading until the server closes. Used where the exact bytes
 * before an abrupt close matter: java.net.http drops data it had buffered once the connection fails.
 */
final class RawHttp {

    /** What came back: the head, the de-chunked body, and whether the chunked terminator arrived. */
    record Result(String head, String body, boolean complete) {}

    private RawHttp() {}

    static Result post(EngineSimulator sim, String path, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", sim.port()), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            byte[] all = readAll(s.getInputStream());
            return parse(all);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        int n;
        while ((n = in.read(b)) >= 0) {
            buf.write(b, 0, n);
        }
        return buf.toByteArray();
    }

    private static Result parse(byte[] all) {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return new Result(text, "", false);
        }
        String head = text.substring(0, headEnd);
        int pos = headEnd + 4;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean complete = false;
        while (pos < all.length) {
            int lineEnd = text.indexOf("\r\n", pos);
            if (lineEnd < 0) {
                break;
            }
            int size = Integer.parseInt(text.substring(pos, lineEnd).trim(), 16);
            pos = lineEnd + 2;
            if (size == 0) {
                complete = text.startsWith("\r\n", pos);
                break;
            }
            if (pos + size + 2 > all.length) {
                body.write(all, pos, all.length - pos);
                break;
            }
            body.write(all, pos, size);
            pos += size + 2;
        }
        return new Result(head, body.toString(StandardCharsets.UTF_8), complete);
    }
}
