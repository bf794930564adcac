namespace TinyGpt;

/// <summary>Turns text into token ids and back.</summary>
public interface ITextTokenizer
{
    /// <summary>The kind, as the command line names it.</summary>
    TokenizerKind Kind { get; }

    /// <summary>Token ids are in [0, VocabularySize).</summary>
    int VocabularySize { get; }

    /// <summary>Encodes text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The token ids.</returns>
    /// <exception cref="ArgumentException">The text holds something the tokenizer cannot encode.</exception>
    int[] Encode(string text);

    /// <summary>Decodes token ids.</summary>
    /// <param name="tokens">The ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    string Decode(ReadOnlySpan<long> tokens);
}
