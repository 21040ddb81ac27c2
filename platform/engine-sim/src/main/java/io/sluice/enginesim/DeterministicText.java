package io.sluice.enginesim;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's deterministic "model" (DET-1): token {@code i} of a completion is a pure function of
 * (seed, prompt, engine_version, model digest, sampling settings, i).
 *
 * <p>Rule: {@code base} = the first 8 bytes (big-endian) of SHA-256 over the tag
 * {@code "sluice-engine-sim/v1"} followed by seed (8 bytes, big-endian), then prompt, engine_version and
 * digest (each as a 4-byte big-endian length and its UTF-8 bytes). Token {@code i} is
 * {@code VOCABULARY[unsignedRemainder(splitMix64(base + (i + 1) * 0x9E3779B97F4A7C15), size)]}.
 * The vocabulary below is part of the contract: changing it changes every stream, so it is versioned by
 * the tag.
 *
 * <p>The vocabulary mixes plain words, punctuation, a newline, a quote and a few non-ASCII pieces so that
 * clients exercise JSON escaping and UTF-8 handling. No piece is a stop token: generation ends only at the
 * requested maximum.
 *
 * <p>Thread-safe and allocation-light; every method is a pure function.
 */
public final class DeterministicText {

    /** Seed used when a request carries none (the platform always sends one). */
    public static final long DEFAULT_SEED = 0L;

    /** Token ids reported to clients are the vocabulary index plus this offset, clear of special ids. */
    public static final int TOKEN_ID_OFFSET = 1000;

    private static final String TAG = "sluice-engine-sim/v1";
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private static final List<String> VOCABULARY = List.of(
            " the", " a", " an", " river", " gate", " sluice", " water", " stone", " bridge", " field",
            " light", " night", " morning", " city", " road", " tower", " garden", " window", " door", " wall",
            " boat", " harbor", " island", " forest", " mountain", " valley", " cloud", " rain", " wind", " storm",
            " fire", " ice", " salt", " iron", " glass", " paper", " letter", " word", " song", " story",
            " map", " key", " lamp", " bell", " clock", " wheel", " chain", " rope", " thread", " needle",
            " bread", " apple", " honey", " milk", " tea", " wine", " oil", " seed", " root", " leaf",
            " tree", " flower", " bird", " fish", " horse", " fox", " wolf", " bear", " owl", " bee",
            " child", " woman", " man", " friend", " stranger", " king", " queen", " sailor", " miller", " keeper",
            " is", " was", " will", " can", " could", " would", " should", " must", " may", " might",
            " run", " runs", " ran", " flow", " flows", " flowed", " open", " opens", " opened", " close",
            " closes", " closed", " hold", " holds", " held", " turn", " turns", " turned", " rise", " rises",
            " fall", " falls", " fell", " carry", " carries", " carried", " wait", " waits", " waited", " watch",
            " see", " saw", " hear", " heard", " know", " knew", " find", " found", " keep", " kept",
            " old", " new", " long", " short", " high", " low", " quiet", " loud", " dark", " bright",
            " cold", " warm", " slow", " fast", " deep", " wide", " narrow", " green", " blue", " grey",
            " red", " white", " black", " golden", " silver", " small", " large", " early", " late", " last",
            " and", " or", " but", " so", " yet", " for", " nor", " if", " when", " while",
            " of", " to", " in", " on", " at", " by", " with", " from", " over", " under",
            " through", " across", " along", " behind", " beyond", " near", " past", " into", " upon", " between",
            " it", " he", " she", " they", " we", " you", " I", " this", " that", " these",
            " one", " two", " three", " four", " five", " ten", " hundred", " first", " second", " third",
            " again", " always", " never", " often", " still", " soon", " there", " here", " then", " now",
            ".", ",", ";", ":", "!", "?", " -", "'s", "s", "ed",
            "ing", "er", "ly", "un", "re", " (", ")", " \"", "\"", "\n",
            " café", " naïve", " façade", " über", "—", " …", " 水", " 門", " río", " señal");

    private DeterministicText() {}

    /** Number of distinct pieces. */
    public static int vocabularySize() {
        return VOCABULARY.size();
    }

    /** The per-request base value from which every token is derived, for a request with the engine's default sampling. */
    public static long base(long seed, String prompt, String engineVersion, String digest) {
        return base(seed, prompt, engineVersion, digest, "");
    }

    /**
     * The per-request base value for a request whose sampling settings differ from the engine's defaults: {@code sampler}
     * is their canonical key ({@code name=value} pairs in name order joined by {@code ;}, for example
     * {@code temperature=0.7;top_p=0.9}), appended to the hash input after the digest like the other fields (a 4-byte
     * length and its UTF-8 bytes). An empty key appends nothing, so default sampling keeps the streams of the rule above:
     * equal settings give equal streams, and any changed setting gives another stream, as sampling does on a real engine.
     */
    public static long base(long seed, String prompt, String engineVersion, String digest, String sampler) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
        }
        sha.update(TAG.getBytes(StandardCharsets.UTF_8));
        sha.update(ByteBuffer.allocate(Long.BYTES).putLong(seed).array());
        for (String field : new String[] {prompt, engineVersion, digest}) {
            byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
            sha.update(bytes);
        }
        if (sampler != null && !sampler.isEmpty()) {
            byte[] bytes = sampler.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
            sha.update(bytes);
        }
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    /** Vocabulary index of token {@code i} for a request with the given base. */
    public static int index(long base, int i) {
        return (int) Long.remainderUnsigned(mix(base + (i + 1L) * GOLDEN_GAMMA), VOCABULARY.size());
    }

    /** Text of token {@code i}. */
    public static String piece(long base, int i) {
        return VOCABULARY.get(index(base, i));
    }

    /** Token id of token {@code i} as reported on the wire. */
    public static int tokenId(long base, int i) {
        return index(base, i) + TOKEN_ID_OFFSET;
    }

    /** A stable log-probability for token {@code i}, in (-4, 0] with three decimals. */
    public static double logprob(long base, int i) {
        long h = mix(base ^ Long.rotateLeft((i + 1L) * GOLDEN_GAMMA, 17));
        return -((h >>> 11) % 4000) / 1000.0;
    }

    /** The first {@code n} pieces of the stream for these inputs. */
    public static List<String> pieces(long seed, String prompt, String engineVersion, String digest, int n) {
        return pieces(seed, prompt, engineVersion, digest, "", n);
    }

    /** The first {@code n} pieces of the stream for these inputs and sampler key (see {@link #base(long, String, String, String, String)}). */
    public static List<String> pieces(long seed, String prompt, String engineVersion, String digest, String sampler, int n) {
        long base = base(seed, prompt, engineVersion, digest, sampler);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(piece(base, i));
        }
        return out;
    }

    /** The concatenation of the first {@code n} pieces: the completion text an engine returns. */
    public static String text(long seed, String prompt, String engineVersion, String digest, int n) {
        return String.join("", pieces(seed, prompt, engineVersion, digest, n));
    }

    /**
     * How many tokens of the stream with this base {@code text} is exactly: the number of leading pieces whose
     * concatenation equals it, or -1 when no prefix of the stream does (a resumed generation must continue the stream
     * it was cut from, ADR 0027).
     */
    public static int resumedTokens(long base, String text) {
        int length = 0;
        int i = 0;
        while (length < text.length()) {
            String piece = piece(base, i);
            if (!text.startsWith(piece, length)) {
                return -1;
            }
            length += piece.length();
            i++;
        }
        return i;
    }

    /**
     * Simulated prompt length in tokens: one token per started 4 UTF-8 bytes, at least 1. Used for
     * usage counters and context-length checks.
     */
    public static int promptTokens(String prompt) {
        int bytes = prompt.getBytes(StandardCharsets.UTF_8).length;
        return Math.max(1, (bytes + 3) / 4);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
