package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.quality.SpecCatalogue.Requirement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("traceability: SPEC catalogue parsing")
class SpecCatalogueTest {
    private final SpecCatalogue spec = SpecCatalogue.parse(Fixtures.read("SPEC-sample.md"));

    @Test
    void readsDefinitionsWithTheirContinuationLines() {
        assertThat(spec.requirements()).extracting(Requirement::id).containsExactly("ZZZ-1", "ZZZ-2", "YY-1", "ZZZ-3", "QQ-1");
        assertThat(spec.find("ZZZ-1").orElseThrow().text())
                .isEqualTo("The first requirement, whose text continues on an indented line.");
        assertThat(spec.find("ZZZ-1").orElseThrow().section().title()).isEqualTo("1. First (ZZZ)");
        assertThat(spec.find("ZZZ-3").orElseThrow().section().declaredPrefixes()).containsExactly("YY", "ZZZ");
    }

    @Test
    void proseMentionsAreNotDefinitions() {
        assertThat(spec.defines("ZZZ-99")).isFalse();
        assertThat(spec.prefixes()).containsExactly("ZZZ", "YY", "QQ");
    }

    @Test
    void reportsDuplicatesAndPrefixesTheirSectionDoesNotList() {
        assertThat(spec.problems())
                .extracting(SpecCatalogue.Problem::message)
                .containsExactlyInAnyOrder("ZZZ-1 is defined twice",
                        "QQ-1 sits in section '2. Second (YY, ZZZ)', whose heading lists [YY, ZZZ]");
        assertThat(spec.find("ZZZ-1").orElseThrow().text()).as("the first definition wins").startsWith("The first");
    }

    @Test
    void ordersIdsAsTheDocumentDoes() {
        assertThat(spec.order("ZZZ-2")).isLessThan(spec.order("YY-1"));
        assertThat(spec.order("YY-1")).isLessThan(spec.order("ZZZ-3"));
        assertThat(spec.order("ZZZ-99")).isEqualTo(Integer.MAX_VALUE);
    }
}
