package io.sluice.chattemplates;

import com.hubspot.jinjava.tree.Node;
import java.util.List;

/** A parsed chat template with the special tokens it renders with; immutable, shared by every request. */
public final class CompiledChatTemplate {
    private final ChatTemplateEngine engine;
    private final Node root;
    private final String bosToken;
    private final String eosToken;

    CompiledChatTemplate(ChatTemplateEngine engine, Node root, String bosToken, String eosToken) {
        this.engine = engine;
        this.root = root;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /**
     * The prompt for {@code turns}, ending where the assistant's answer begins ({@code add_generation_prompt} true).
     *
     * @throws ChatTemplateException when the template refuses the conversation, the prompt would be too long, the
     *     render ran out of time, or the template failed
     */
    public String render(List<ChatTurn> turns) {
        return engine.render(root, turns, bosToken, eosToken);
    }
}
