package io.sluice.policy.host;

/**
 * A validated and compiled policy module, ready to be called through the {@link PolicyHost} that
 * compiled it. Immutable and thread-safe; the same digest always yields the same module object within
 * one host. Obtain it from {@link PolicyHost#compile(byte[])}; instances of other hosts are refused.
 */
public interface PolicyModule {

    /** Lower-case hex sha256 of the module bytes (the content address stored with each version). */
    String digest();

    /** Size of the module bytes. */
    int sizeBytes();

    /** The validated {@code describe} output. */
    PolicyDescriptor descriptor();

    /** Name, version and digest, as recorded with every decision. */
    default PolicyRef ref() {
        return new PolicyRef(descriptor().name(), descriptor().version(), digest());
    }
}
