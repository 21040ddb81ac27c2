package io.sluice.app.openai;

import io.sluice.app.catalog.CatalogRuntime;
import io.sluice.app.chattemplates.ChatTemplates;
import io.sluice.chattemplates.ChatTemplateException;
import io.sluice.chattemplates.ChatTurn;
import io.sluice.chattemplates.CompiledChatTemplate;
import io.sluice.core.engine.EngineChatTemplate;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.Replica;
import io.sluice.core.scheduling.ReplicaState;
import io.sluice.core.scheduling.TaskScheduler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Which chat template renders a model's chat messages, and the rendering (ADR 0037). In order:
 * <ol>
 *   <li>{@link Source#CATALOG}: the template the model's catalog entry declares in its manifest ({@code chat_template});
 *   <li>{@link Source#ENGINE}: the template an engine serving the model reports (llama.cpp {@code /props});
 *   <li>{@link Source#SLUICE}: Sluice's fixed format ({@link ChatTemplate}), when neither declares one.
 * </ol>
 * The choice is made per request from memory (the catalog's last refresh, the replicas' last probes); compiled templates
 * are cached by {@link ChatTemplates}, so a request pays for the render alone.
 */
@ApplicationScoped
public class ChatPrompts {
    private static final Logger LOG = Logger.getLogger(ChatPrompts.class);

    /** Where a model's chat template comes from; the contract's {@code chat_template_source}. */
    enum Source {
        CATALOG,
        ENGINE,
        SLUICE;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The template chosen for a model: {@code template} is null for {@link Source#SLUICE}. */
    record Choice(Source source, CompiledChatTemplate template) {
        static final Choice FIXED = new Choice(Source.SLUICE, null);
    }

    @Inject
    CatalogRuntime catalog;

    @Inject
    TaskScheduler scheduler;

    @Inject
    ChatTemplates templates;

    /** Engine templates that did not compile: not compiled again on every request, and logged once. */
    private final Set<String> unusableEngineTemplates = ConcurrentHashMap.newKeySet();

    /**
     * The template for {@code modelRef} as a request of {@code sessionId} would be served (an alias picks its target by
     * session; null picks the target most sessions get).
     *
     * @throws SluiceException {@code INVALID_PARAMS} on {@code model} when the catalog entry declares a template that no
     *     longer compiles (it was checked at ingest; only a change of limits can cause this)
     */
    Choice choose(String modelRef, UUID sessionId) {
        CatalogRuntime.Entry entry = catalog.entryFor(modelRef, sessionId);
        String served = modelRef;
        if (entry != null) {
            CatalogRuntime.DeclaredChatTemplate declared = catalog.chatTemplate(entry.id());
            if (declared != null) {
                try {
                    return new Choice(Source.CATALOG, templates.compile(declared.template(), declared.bosToken(), declared.eosToken()));
                } catch (ChatTemplateException e) {
                    throw SluiceException.invalid("model_ref", "the chat template the catalog entry " + entry.ref()
                            + " declares cannot be used: " + e.getMessage());
                }
            }
            // The entry is served under name:tag when a pool names that, else under its name (as admission resolves it).
            served = servedBySomePool(entry.ref()) ? entry.ref() : entry.name();
        }
        CompiledChatTemplate reported = engineTemplate(served);
        return reported == null ? Choice.FIXED : new Choice(Source.ENGINE, reported);
    }

    /**
     * The prompt for {@code turns} under {@code choice}.
     *
     * @throws SluiceException {@code INVALID_PARAMS} on {@code messages} when the template refuses the conversation (its
     *     {@code raise_exception}), the prompt would be too long, or the template failed or ran out of time on it
     */
    String render(Choice choice, String modelRef, List<ChatTurn> turns) {
        if (choice.template() == null) {
            return ChatTemplate.render(turns);
        }
        try {
            return choice.template().render(turns);
        } catch (ChatTemplateException e) {
            String why = switch (e.kind()) {
                case REFUSED -> "refuses these messages: " + e.getMessage();
                case OUTPUT_TOO_LARGE -> "renders these messages longer than a prompt may be: " + e.getMessage();
                default -> "could not render these messages: " + e.getMessage();
            };
            throw OpenAiRequests.invalid("messages", "the chat template of model '" + modelRef + "' (" + choice.source().wire() + ") " + why);
        }
    }

    private boolean servedBySomePool(String model) {
        for (Pool p : scheduler.pools().pools()) {
            if (p.model().equals(model)) {
                return true;
            }
        }
        return false;
    }

    /** The template the first Ready replica of a pool serving {@code model} reports, compiled; null when none does. */
    private CompiledChatTemplate engineTemplate(String model) {
        for (Pool p : scheduler.pools().pools()) {
            if (!p.model().equals(model)) {
                continue;
            }
            for (Replica r : p.replicas()) {
                EngineChatTemplate t = r.state() == ReplicaState.READY ? r.adapter().chatTemplate() : null;
                if (t == null || unusableEngineTemplates.contains(t.template())) {
                    continue;
                }
                try {
                    return templates.compile(t.template(), t.bosToken(), t.eosToken());
                } catch (ChatTemplateException e) {
                    // Not this replica's template: Sluice cannot render it (a Jinja feature the renderer lacks, say).
                    // The fixed format applies unless another replica's works; the catalog can declare one that does.
                    if (unusableEngineTemplates.size() >= ChatTemplates.MAX_CACHED) {
                        unusableEngineTemplates.clear();
                    }
                    if (unusableEngineTemplates.add(t.template())) {
                        LOG.warnf("replica %s of pool %s reports a chat template Sluice cannot use (%s); declare one in the catalog",
                                r.qualifiedId(), p.id(), e.getMessage());
                    }
                }
            }
        }
        return null;
    }
}
