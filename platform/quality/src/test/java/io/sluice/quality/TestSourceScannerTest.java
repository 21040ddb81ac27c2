package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.quality.TestSourceScanner.Member;
import io.sluice.quality.TestSourceScanner.Mention;
import io.sluice.quality.TestSourceScanner.Source;
import io.sluice.quality.TestSourceScanner.Type;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("traceability: test source scanning")
class TestSourceScannerTest {
    private static final Set<String> PREFIXES = Set.of("ZZZ");
    private final Source source = TestSourceScanner.scan(Fixtures.read("SampleTest.java.txt"), PREFIXES);
    private final Map<String, Member> tests =
            source.tests().stream().collect(Collectors.toMap(Member::name, Function.identity()));

    @Test
    void findsTypesIncludingNestedOnesButNotStringsOrClassLiterals() {
        assertThat(source.types()).extracting(Type::name)
                .containsExactly("SampleTest", "SampleTest.Inner", "SampleTest.Point", "Marker");
    }

    @Test
    void findsTestMethodsAndArchRuleFieldsOnly() {
        assertThat(tests.keySet())
                .containsExactlyInAnyOrder("rule", "methodNamed", "parameterized", "tagged", "textBlock", "repeated",
                        "afterNested");
        assertThat(source.members()).extracting(Member::name).contains("annotatedHelper").doesNotContain("toString");
        assertThat(tests.get("repeated").owner().name()).isEqualTo("SampleTest.Inner");
        assertThat(tests.get("afterNested").owner().name()).as("attribution resumes after a nested class").isEqualTo("SampleTest");
    }

    @Test
    void readsIdsFromDisplayNamesTagsAndNameTemplates() {
        assertThat(own("methodNamed")).containsExactly("ZZZ-2");
        assertThat(own("parameterized")).as("@MethodSource is not a name").containsExactly("ZZZ-3");
        assertThat(own("tagged")).containsExactly("ZZZ-4");
        assertThat(own("textBlock")).containsExactly("ZZZ-5");
        assertThat(own("repeated")).containsExactly("ZZZ-11");
        assertThat(own("afterNested")).isEmpty();
    }

    @Test
    void classLevelNamesApplyToNestedClassesToo() {
        assertThat(TestSourceScanner.namedBy(tests.get("afterNested").owner(), PREFIXES)).containsExactly("ZZZ-1");
        assertThat(TestSourceScanner.namedBy(tests.get("repeated").owner(), PREFIXES)).containsExactlyInAnyOrder("ZZZ-6", "ZZZ-1");
    }

    @Test
    void reportsEveryMentionWithItsLineForTheTypoGuard() {
        assertThat(source.mentions()).extracting(Mention::id).containsExactly("ZZZ-7", "ZZZ-1", "ZZZ-8", "ZZZ-2", "ZZZ-9",
                "ZZZ-3", "ZZZ-10", "ZZZ-4", "ZZZ-5", "ZZZ-6", "ZZZ-11", "ZZZ-12");
        assertThat(source.mentions().get(0).line()).isEqualTo(5);
        assertThat(TestSourceScanner.scan("class A {} // SHA-256 UTF-8", PREFIXES).mentions()).isEmpty();
    }

    private Set<String> own(String test) {
        return TestSourceScanner.namedBy(tests.get(test).annotations(), PREFIXES);
    }
}
