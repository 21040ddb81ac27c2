package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;

/**
 * A guest or kernel memory whose growth the instance's {@link MemoryBudget} both bounds and times.
 *
 * <p>Growing past the backing array's capacity is the JVM's and the kernel's work (allocating, zeroing and first
 * touching a new array, copying the old one), bounded in bytes by the budget but not in time: on a loaded machine it
 * took longer than the call's CPU-time limit, so a plugin growing its memory without end was stopped as a
 * {@code timeout} before it reached the memory limit. Such a grow is timed here and reported to the budget, and the
 * watchdog leaves it out of the guest's CPU time (ADR 0038). Only grows that need a new array are timed: each one
 * reserves more of the budget or throws, so there are at most as many per instance as the budget has pages, and a guest
 * cannot hide its own work in them. Every other method only delegates.
 */
final class BudgetedMemory implements Memory {
    private final ByteArrayMemory memory;
    private final MemoryBudget.Strategy strategy;
    private final MemoryBudget budget;

    BudgetedMemory(ByteArrayMemory memory, MemoryBudget.Strategy strategy, MemoryBudget budget) {
        this.memory = memory;
        this.strategy = strategy;
        this.budget = budget;
    }

    @Override
    public int grow(int size) {
        long pages = (long) memory.pages() + size;
        if (size <= 0 || pages > memory.maximumPages() || pages * PAGE_SIZE <= strategy.capacity()) {
            return memory.grow(size); // no new array: nothing but a bounds check and a count
        }
        long start = budget.growthStarted();
        try {
            return memory.grow(size);
        } finally {
            budget.growthEnded(start);
        }
    }

    @Override
    public int pages() {
        return memory.pages();
    }

    @Override
    public int initialPages() {
        return memory.initialPages();
    }

    @Override
    public int maximumPages() {
        return memory.maximumPages();
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        memory.initialize(instance, dataSegments);
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        memory.initPassiveSegment(segmentId, dest, offset, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        memory.write(addr, data, offset, size);
    }

    @Override
    public byte read(int addr) {
        return memory.read(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        return memory.readBytes(addr, len);
    }

    @Override
    public void writeI32(int addr, int data) {
        memory.writeI32(addr, data);
    }

    @Override
    public int readInt(int addr) {
        return memory.readInt(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        memory.writeLong(addr, data);
    }

    @Override
    public long readLong(int addr) {
        return memory.readLong(addr);
    }

    @Override
    public void writeShort(int addr, short data) {
        memory.writeShort(addr, data);
    }

    @Override
    public short readShort(int addr) {
        return memory.readShort(addr);
    }

    @Override
    public long readU16(int addr) {
        return memory.readU16(addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        memory.writeByte(addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
        memory.writeF32(addr, data);
    }

    @Override
    public long readF32(int addr) {
        return memory.readF32(addr);
    }

    @Override
    public float readFloat(int addr) {
        return memory.readFloat(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        memory.writeF64(addr, data);
    }

    @Override
    public double readDouble(int addr) {
        return memory.readDouble(addr);
    }

    @Override
    public long readF64(int addr) {
        return memory.readF64(addr);
    }

    @Override
    public void zero() {
        memory.zero();
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        memory.fill(value, fromIndex, toIndex);
    }

    @Override
    public void drop(int segment) {
        memory.drop(segment);
    }
}
