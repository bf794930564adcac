namespace TinyGpt;

/// <summary>One token per character: the distinct characters of a text, sorted by code, are the vocabulary.</summary>
public sealed class CharTokenizer : ITextTokenizer
{
    private readonly Dictionary<char, int> _ids;

    /// <summary>Creates the tokenizer for an alphabet.</summary>
    /// <param name="alphabet">The vocabulary: distinct characters, id = position.</param>
    /// <exception cref="ArgumentException"><paramref name="alphabet"/> is empty, repeats a character, or has more than 65536.</exception>
    public CharTokenizer(string alphabet)
    {
        ArgumentNullException.ThrowIfNull(alphabet);
        if (alphabet.Length == 0)
            throw new ArgumentException("The alphabet is empty.", nameof(alphabet));
        _ids = new Dictionary<char, int>(alphabet.Length);
        for (int i = 0; i < alphabet.Length; i++)
        {
            if (!_ids.TryAdd(alphabet[i], i))
                throw new ArgumentException($"The alphabet repeats the character U+{(int)alphabet[i]:X4} at position {i}.", nameof(alphabet));
        }
        Alphabet = alphabet;
    }

    /// <summary>The vocabulary, id = position.</summary>
    public string Alphabet { get; }

    /// <inheritdoc />
    public TokenizerKind Kind => TokenizerKind.Char;

    /// <inheritdoc />
    public int VocabularySize => Alphabet.Length;

    /// <summary>Creates the tokenizer for the characters of <paramref name="text"/>.</summary>
    /// <param name="text">The text (the training split: a character seen only in validation then has no id).</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="ArgumentException"><paramref name="text"/> is empty.</exception>
    public static CharTokenizer FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        char[] distinct = text.Distinct().Order().ToArray();
        return new CharTokenizer(new string(distinct));
    }

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!_ids.TryGetValue(text[i], out tokens[i]))
                throw new ArgumentException($"Character {i} (U+{(int)text[i]:X4}) is not in the alphabet of {Alphabet.Length} characters.", nameof(text));
        }
        return tokens;
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<long> tokens)
    {
        var chars = new char[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((ulong)tokens[i] >= (ulong)Alphabet.Length)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Token {i} is {tokens[i]}, outside the alphabet of {Alphabet.Length} characters.");
            chars[i] = Alphabet[(int)tokens[i]];
        }
        return new string(chars);
    }
}
