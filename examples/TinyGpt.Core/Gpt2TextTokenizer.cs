using TorchMmap.Text;

namespace TinyGpt;

/// <summary>GPT-2's byte-pair encoding, through the library's <see cref="Gpt2Tokenizer"/>.</summary>
public sealed class Gpt2TextTokenizer : ITextTokenizer
{
    /// <inheritdoc />
    public TokenizerKind Kind => TokenizerKind.Gpt2;

    /// <inheritdoc />
    public int VocabularySize => Gpt2Tokenizer.VocabularySize;

    /// <inheritdoc />
    public int[] Encode(string text) => Gpt2Tokenizer.Shared.Encode(text).ToArray();

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<long> tokens) => Gpt2Tokenizer.Shared.Decode(tokens);
}
