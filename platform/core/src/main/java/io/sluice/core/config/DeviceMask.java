package io.sluice.core.config;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;

/**
 * The GPUs a pool's engines may run on (POOL-1, SCH-6): a list of device indices and inclusive ranges, as
 * {@code CUDA_VISIBLE_DEVICES} lists them, for example {@code 0}, {@code 0,1} or {@code 0-3,6}. Immutable.
 */
public final class DeviceMask {
    /** Highest device index accepted; a host with more GPUs than this does not exist, a larger number is a typo. */
    public static final int MAX_INDEX = 1023;

    private final BitSet devices;

    private DeviceMask(BitSet devices) {
        this.devices = devices;
    }

    /**
     * Parses a mask.
     *
     * @throws IllegalArgumentException saying what is wrong, when {@code text} is not a non-empty list of indices
     *     {@code 0..1023} and ascending ranges {@code a-b}
     */
    public static DeviceMask parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must list at least one GPU index, like 0 or 0,1 or 0-3");
        }
        BitSet set = new BitSet();
        for (String part : text.split(",", -1)) {
            String item = part.strip();
            int dash = item.indexOf('-');
            int from;
            int to;
            if (dash < 0) {
                from = index(item, text);
                to = from;
            } else {
                from = index(item.substring(0, dash).strip(), text);
                to = index(item.substring(dash + 1).strip(), text);
                if (to < from) {
                    throw new IllegalArgumentException("range '" + item + "' runs backwards; write it as " + to + "-" + from);
                }
            }
            set.set(from, to + 1);
        }
        return new DeviceMask(set);
    }

    private static int index(String s, String whole) {
        if (s.isEmpty() || s.length() > 4 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + whole + "' is not a list of GPU indices and ranges, like 0,1 or 0-3");
        }
        int i = Integer.parseInt(s);
        if (i > MAX_INDEX) {
            throw new IllegalArgumentException("GPU index " + i + " is above " + MAX_INDEX);
        }
        return i;
    }

    /** Whether every one of {@code gpus} is in this mask. */
    public boolean covers(Collection<Integer> gpus) {
        return gpus.stream().allMatch(g -> g != null && g >= 0 && devices.get(g));
    }

    /** The members of {@code gpus} outside this mask, in their order. */
    public List<Integer> outside(Collection<Integer> gpus) {
        List<Integer> out = new ArrayList<>();
        for (Integer g : gpus) {
            if (g == null || g < 0 || !devices.get(g)) {
                out.add(g);
            }
        }
        return out;
    }

    /** The devices both masks hold, ascending. */
    public List<Integer> shared(DeviceMask other) {
        BitSet both = (BitSet) devices.clone();
        both.and(other.devices);
        return both.stream().boxed().toList();
    }

    /** Canonical text: ascending, runs of three or more as ranges ({@code 0-3,6}). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int i = devices.nextSetBit(0);
        while (i >= 0) {
            int end = devices.nextClearBit(i) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            if (end - i >= 2) {
                sb.append(i).append('-').append(end);
            } else {
                sb.append(i);
                if (end > i) {
                    sb.append(',').append(end);
                }
            }
            i = devices.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceMask m && m.devices.equals(devices);
    }

    @Override
    public int hashCode() {
        return devices.hashCode();
    }
}
