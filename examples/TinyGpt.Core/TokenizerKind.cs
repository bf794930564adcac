namespace TinyGpt;

/// <summary>How text becomes tokens.</summary>
public enum TokenizerKind
{
    /// <summary>One token per character, over the characters of the training text (as nanoGPT's <c>shakespeare_char</c>).</summary>
    Char,

    /// <summary>GPT-2's byte-pair encoding, 50257 tokens.</summary>
    Gpt2,
}
