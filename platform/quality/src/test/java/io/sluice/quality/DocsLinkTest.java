package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("docs: relative Markdown links point to files that exist")
class DocsLinkTest {

    @Test
    @DisplayName("docs: every relative link in README.md and docs/**/*.md resolves inside the repository")
    void relativeLinksResolve() throws IOException {
        Path root = RepoRoot.get();
        List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
            docs.filter(p -> Files.isRegularFile(p) && p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            for (MarkdownLinks.Link link : MarkdownLinks.extract(Files.readString(page))) {
                if (!link.isRelative() || link.path().isEmpty()) {
                    continue;
                }
                checked++;
                Path target = (link.path().startsWith("/") ? root.resolve(link.path().substring(1)) : page.getParent().resolve(link.path()))
                        .normalize();
                String where = RepoRoot.relative(root, page) + ":" + link.line() + " -> " + link.target();
                if (!target.startsWith(root)) {
                    broken.add(where + " (outside the repository)");
                } else if (!Files.exists(target)) {
                    broken.add(where);
                }
            }
        }
        assertThat(broken).as("broken relative links (page:line -> target)").isEmpty();
        assertThat(checked).as("relative links checked").isPositive();
    }

    @Test
    @DisplayName("docs: link extraction skips code, URLs and anchors and reads titles, images and references")
    void extractsOnlyRealRelativeLinks() {
        String md = """
                See [the ADRs](adr/README.md#index) and ![diagram](img/a%20b.png "Title").
                A URL [site](https://example.org/x.md), an [anchor](#top), and `[code](not-a-link.md)`.
                <!-- [hidden](gone.md) -->
                ```
                [fenced](also-not.md)
                ```
                [ref]: ../guide.md
                [nested [brackets]](<with space.md>)
                """;
        List<MarkdownLinks.Link> relative = MarkdownLinks.extract(md).stream().filter(MarkdownLinks.Link::isRelative).toList();
        assertThat(relative).extracting(MarkdownLinks.Link::path)
                .containsExactly("adr/README.md", "img/a b.png", "../guide.md", "with space.md");
        assertThat(relative).extracting(MarkdownLinks.Link::line).containsExactly(1, 1, 7, 8);
    }
}
