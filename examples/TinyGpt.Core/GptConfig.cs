namespace TinyGpt;

/// <summary>The shape of a <see cref="GptModel"/>.</summary>
public sealed record GptConfig
{
    /// <summary>Tokens in the vocabulary (rows of the token embedding, which is also the output head).</summary>
    public int VocabularySize { get; init; } = 256;

    /// <summary>The longest context, T (rows of the position embedding).</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 4;

    /// <summary>Attention heads per block; <see cref="Embedding"/> must be a multiple of it.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Width of the residual stream, C.</summary>
    public int Embedding { get; init; } = 128;

    /// <summary>Dropout after the embeddings, on the attention weights and after each residual branch (0: none).</summary>
    public double Dropout { get; init; }

    /// <summary>Checks the shape.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, <see cref="Dropout"/> is outside [0, 1),
    /// or <see cref="Embedding"/> is not a multiple of <see cref="Heads"/>.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VocabularySize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BlockSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Embedding);
        if (Embedding % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"The embedding width {Embedding} is not a multiple of the {Heads} heads.");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout))
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout is a probability in [0, 1).");
    }
}
