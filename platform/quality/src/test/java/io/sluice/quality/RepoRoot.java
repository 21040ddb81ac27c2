package io.sluice.quality;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout these checks read, passed by the build as {@code test.repo.root}. */
final class RepoRoot {
    static final String PROPERTY = "test.repo.root";

    private RepoRoot() {}

    /**
     * @throws IllegalStateException when the property is missing or does not name a Sluice checkout, so a
     *     misconfigured build fails loudly instead of checking an empty tree
     */
    static Path get() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + PROPERTY + " is not set; run the tests through Maven");
        }
        Path root = Path.of(value).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("README.md")) || !Files.isDirectory(root.resolve("platform"))) {
            throw new IllegalStateException(PROPERTY + "=" + root + " is not the repository root");
        }
        return root;
    }

    /** A path relative to the root, with forward slashes, for messages and links. */
    static String relative(Path root, Path file) {
        return root.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }
}
