package io.sluice.chattemplates;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaNodePreProcessor;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles and renders models' chat templates, the Jinja programs (Hugging Face {@code tokenizer_config.json}
 * {@code chat_template}, GGUF {@code tokenizer.chat_template}) that turn a list of messages into the one prompt text
 * the model was trained on (ADR 0037). Rendering follows the conventions those templates are written for: the
 * variables {@code messages}, {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}, the function
 * {@code raise_exception(message)}, and {@code trim_blocks} and {@code lstrip_blocks} on.
 *
 * <p>Templates come from admins (the catalog) and engines, not tenants, but they are programs, so a render is bounded:
 * its output ({@link Limits#maxOutputChars}, beyond which it stops), its CPU time ({@link Limits#renderBudget}, checked
 * before every template node once the wall clock passed the budget, so a loop over {@code range()} stops as well; the
 * wall clock alone stops it after ten budgets or a second), {@code range()} to 1,000 items, no
 * recursive macros, and a read-only view of the variables. Java objects are not reachable from a template: the
 * variables are maps, lists and strings.
 *
 * <p>Compiled templates are cached by their source and tokens ({@link Limits#maxCached} of them; the cache is emptied
 * when full, which only costs a parse), so a request pays for rendering only. Thread-safe.
 */
public final class ChatTemplateEngine {
    /**
     * @param maxTemplateChars longest template source accepted
     * @param maxOutputChars longest rendered prompt
     * @param renderBudget longest time one render may take
     * @param maxCached how many compiled templates are kept
     */
    public record Limits(int maxTemplateChars, long maxOutputChars, Duration renderBudget, int maxCached) {
        public Limits {
            if (maxTemplateChars < 1 || maxOutputChars < 1 || renderBudget == null || renderBudget.isNegative() || renderBudget.isZero()
                    || maxCached < 1) {
                throw new IllegalArgumentException("chat template limits must be positive");
            }
        }
    }

    /** What one render on this thread may still spend, and what the template said when it refused. */
    private static final class RenderState {
        /** Wall-clock time after which the render's CPU time is looked at. */
        long deadline = Long.MAX_VALUE;
        /** Wall-clock time after which the render stops whatever its CPU time (a thread starved for that long). */
        long hardDeadline = Long.MAX_VALUE;
        long cpuStart;
        long budgetNanos;
        boolean expired;
        String refusal;
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** However starved the rendering thread, a render ends within this wall-clock time (or 10 budgets, if more). */
    private static final long HARD_WALL_NANOS = 1_000_000_000L;

    private static final ThreadLocal<RenderState> STATE = ThreadLocal.withInitial(RenderState::new);

    /** A conversation every chat template should render: the check that a compiled template is usable at all. */
    private static final List<ChatTurn> PROBE = List.of(new ChatTurn("user", "Hello."), new ChatTurn("assistant", "Hi."),
            new ChatTurn("user", "How are you?"));

    private final Limits limits;
    private final Jinjava jinjava;
    private final JinjavaConfig config;
    private final Map<Key, CompiledChatTemplate> cache = new ConcurrentHashMap<>();

    private record Key(String source, String bosToken, String eosToken) {}

    public ChatTemplateEngine(Limits limits) {
        this.limits = Objects.requireNonNull(limits);
        this.config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(limits.maxOutputChars())
                .withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(100_000)
                .withMaxMapSize(10_000)
                .withRangeLimit(1_000)
                .withMaxRenderDepth(10)
                .withEnableRecursiveMacroCalls(false)
                .withFailOnUnknownTokens(false)
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor(new BudgetCheck()).build())
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplateEngine.class,
                "raiseException", String.class));
        // The first renders of a JVM load and link the renderer's classes (tens of milliseconds); do it now, so that a
        // request's first template is judged by its own cost against the time budget.
        CompiledChatTemplate warm = new CompiledChatTemplate(this, parseOrFail(WARM_UP), "", "");
        for (int i = 0; i < 20; i++) {
            try {
                warm.render(PROBE);
            } catch (ChatTemplateException slowStart) {
                // Only a cold JVM on a busy machine gets here; the next round is warmer.
            }
        }
    }

    /** Touches what templates commonly use: loops, loop variables, conditions, slicing, filters, namespace, set. */
    private static final String WARM_UP = "{% set ns = namespace(n=0) %}{% for message in messages[0:] %}{% if loop.first %}"
            + "{{ bos_token }}{% endif %}{% set ns.n = ns.n + 1 %}{{ '<|' + message['role'] + '|>' + (message['content'] | trim) }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ ns.n }}{% endif %}";

    private Node parseOrFail(String source) {
        JinjavaInterpreter interpreter = interpreter(Map.of());
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            return interpreter.parse(source);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    public Limits limits() {
        return limits;
    }

    /**
     * The compiled template (from the cache when it was compiled before): parsed, and rendered once on a plain
     * user/assistant conversation to catch what only rendering finds (an unknown function or filter).
     *
     * @throws ChatTemplateException {@link ChatTemplateException.Kind#INVALID} when it cannot be used
     */
    public CompiledChatTemplate compile(String source, String bosToken, String eosToken) {
        Key key = new Key(Objects.requireNonNull(source), bosToken == null ? "" : bosToken, eosToken == null ? "" : eosToken);
        CompiledChatTemplate cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        CompiledChatTemplate compiled = parse(key);
        if (cache.size() >= limits.maxCached()) {
            cache.clear();
        }
        cache.put(key, compiled);
        return compiled;
    }

    private CompiledChatTemplate parse(Key key) {
        if (key.source().isBlank()) {
            throw new ChatTemplateException(ChatTemplateException.Kind.INVALID, "the chat template is empty");
        }
        if (key.source().length() > limits.maxTemplateChars()) {
            throw new ChatTemplateException(ChatTemplateException.Kind.INVALID,
                    "the chat template is longer than " + limits.maxTemplateChars() + " characters");
        }
        JinjavaInterpreter interpreter = interpreter(Map.of());
        Node root;
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            root = interpreter.parse(key.source());
        } catch (RuntimeException e) {
            throw new ChatTemplateException(ChatTemplateException.Kind.INVALID, "the chat template does not parse: " + e.getMessage());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        String error = firstFatal(interpreter);
        if (error != null) {
            throw new ChatTemplateException(ChatTemplateException.Kind.INVALID, "the chat template does not parse: " + error);
        }
        CompiledChatTemplate compiled = new CompiledChatTemplate(this, root, key.bosToken(), key.eosToken());
        try {
            probe(compiled);
        } catch (ChatTemplateException e) {
            // A template may refuse a conversation it was not written for; one that cannot render this one is broken.
            if (e.kind() != ChatTemplateException.Kind.REFUSED) {
                throw new ChatTemplateException(ChatTemplateException.Kind.INVALID,
                        "the chat template fails on a plain user/assistant conversation: " + e.getMessage());
            }
        }
        return compiled;
    }

    /**
     * Renders the probe conversation. A template's first render may load classes its constructs need (tens of
     * milliseconds on a cold JVM), so running out of time is tried twice more before it counts.
     */
    private static void probe(CompiledChatTemplate compiled) {
        for (int attempt = 1;; attempt++) {
            try {
                compiled.render(PROBE);
                return;
            } catch (ChatTemplateException e) {
                if (e.kind() != ChatTemplateException.Kind.TIME_BUDGET || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** Renders {@code root} with the given conversation; see {@link CompiledChatTemplate#render}. */
    String render(Node root, List<ChatTurn> turns, String bosToken, String eosToken) {
        List<Map<String, Object>> messages = new ArrayList<>(turns.size());
        for (ChatTurn t : turns) {
            messages.add(Map.of("role", t.role(), "content", t.content()));
        }
        Map<String, Object> bindings = new HashMap<>(8);
        bindings.put("messages", messages);
        bindings.put("add_generation_prompt", Boolean.TRUE);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        JinjavaInterpreter interpreter = interpreter(bindings);
        RenderState state = STATE.get();
        long now = System.nanoTime();
        state.budgetNanos = limits.renderBudget().toNanos();
        state.deadline = now + state.budgetNanos;
        state.hardDeadline = now + Math.max(10 * state.budgetNanos, HARD_WALL_NANOS);
        state.cpuStart = THREADS.getCurrentThreadCpuTime();
        state.expired = false;
        state.refusal = null;
        String out;
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            out = interpreter.render(root);
        } catch (RuntimeException e) {
            out = null;
            if (!state.expired && state.refusal == null) {
                if (tooBig(e.getClass().getSimpleName() + " " + e.getMessage())) {
                    throw new ChatTemplateException(ChatTemplateException.Kind.OUTPUT_TOO_LARGE,
                            "the rendered prompt would be longer than " + limits.maxOutputChars() + " characters");
                }
                throw new ChatTemplateException(ChatTemplateException.Kind.FAILED, "the chat template failed: " + e.getMessage());
            }
        } finally {
            JinjavaInterpreter.popCurrent();
            state.deadline = Long.MAX_VALUE;
        }
        if (state.expired) {
            throw new ChatTemplateException(ChatTemplateException.Kind.TIME_BUDGET,
                    "the chat template used more than " + limits.renderBudget().toMillis() + " ms of CPU time and was stopped");
        }
        if (state.refusal != null) {
            throw new ChatTemplateException(ChatTemplateException.Kind.REFUSED, state.refusal);
        }
        for (TemplateError e : interpreter.getErrors()) {
            // An unknown filter or function is an error in Jinja; Jinjava may only warn and render nothing for it.
            boolean unknownCall = e.getReason() == TemplateError.ErrorReason.UNKNOWN
                    && (e.getItem() == TemplateError.ErrorItem.FILTER || e.getItem() == TemplateError.ErrorItem.FUNCTION);
            if (e.getSeverity() != TemplateError.ErrorType.FATAL && !unknownCall) {
                continue;
            }
            if (e.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG || e.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG
                    || e.getReason() == TemplateError.ErrorReason.OVER_LIMIT || tooBig(e.getMessage())) {
                throw new ChatTemplateException(ChatTemplateException.Kind.OUTPUT_TOO_LARGE,
                        "the rendered prompt would be longer than " + limits.maxOutputChars() + " characters");
            }
            throw new ChatTemplateException(ChatTemplateException.Kind.FAILED, "the chat template failed: " + e.getMessage());
        }
        if (out.length() > limits.maxOutputChars()) {
            throw new ChatTemplateException(ChatTemplateException.Kind.OUTPUT_TOO_LARGE,
                    "the rendered prompt would be longer than " + limits.maxOutputChars() + " characters");
        }
        return out;
    }

    /** Jinjava reports a string over its length limit (an intermediate one, say) as an exception, not as a reason. */
    private static boolean tooBig(String description) {
        return description != null && (description.contains("OutputTooBig") || description.contains("too big")
                || description.contains("StringTooLong") || description.contains("exceeds"));
    }

    private JinjavaInterpreter interpreter(Map<String, ?> bindings) {
        return new JinjavaInterpreter(jinjava, new Context(jinjava.getGlobalContext(), bindings, config.getDisabled()), config);
    }

    private static String firstFatal(JinjavaInterpreter interpreter) {
        for (TemplateError e : interpreter.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                return e.getMessage();
            }
        }
        return null;
    }

    /**
     * {@code raise_exception(message)}: how chat templates refuse a conversation (Hugging Face's convention). Recorded
     * on the rendering thread, then thrown so that rendering stops.
     */
    public static String raiseException(String message) {
        String m = message == null ? "" : message;
        STATE.get().refusal = m.length() > 300 ? m.substring(0, 300) : m;
        throw new IllegalStateException("raise_exception: " + STATE.get().refusal);
    }

    /**
     * Runs before every template node: stops the render once its budget is spent. Every later node throws too, so a
     * render that Jinjava continues after an error still ends at once.
     */
    private static final class BudgetCheck extends JinjavaNodePreProcessor {
        @Override
        public void accept(Node node, JinjavaInterpreter interpreter) {
            super.accept(node, interpreter);
            RenderState s = STATE.get();
            if (s.expired || s.refusal != null) {
                throw new IllegalStateException("chat template render stopped");
            }
            long now = System.nanoTime();
            if (now <= s.deadline) {
                return;
            }
            // The wall clock passed the budget; what counts is the CPU time the render used: a render preempted by
            // the OS or paused by a GC on a busy machine is not the template's fault. Re-armed until the CPU budget
            // is spent, or the hard wall limit passes.
            long used = THREADS.getCurrentThreadCpuTime() - s.cpuStart;
            if (used < s.budgetNanos && now <= s.hardDeadline) {
                s.deadline = now + (s.budgetNanos - used);
                return;
            }
            s.expired = true;
            throw new IllegalStateException("chat template render stopped");
        }
    }
}
