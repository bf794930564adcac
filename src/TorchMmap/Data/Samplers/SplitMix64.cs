namespace TorchMmap.Data;

/// <summary>
/// Sebastiano Vigna's SplitMix64 generator: 64 bits of state, one add and three xor-shift-multiply rounds per
/// value. It passes BigCrush, is fully determined by its seed on every platform and runtime (unlike
/// <see cref="Random"/>, whose algorithm .NET may change), and is plenty for shuffling sample orders.
/// </summary>
internal struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    private ulong _state;

    /// <summary>Initializes a generator whose first output is <c>Mix(seed + Gamma)</c>.</summary>
    /// <param name="seed">Any 64-bit value.</param>
    internal SplitMix64(ulong seed) => _state = seed;

    /// <summary>Returns SplitMix64's output function applied to <paramref name="value"/>: a bijection that avalanches every bit.</summary>
    internal static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }

    /// <summary>Returns the next 64 random bits.</summary>
    internal ulong Next()
    {
        _state = unchecked(_state + Gamma);
        return Mix(_state);
    }

    /// <summary>Returns a uniform value in [0, <paramref name="bound"/>); <paramref name="bound"/> must be positive.</summary>
    internal ulong NextBelow(ulong bound)
    {
        // Lemire's multiply-shift: the high word of next * bound is in range; rejecting the few low words
        // below 2**64 mod bound removes the bias, and the modulo is only computed when a rejection is possible.
        ulong high = Math.BigMul(Next(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = unchecked(0 - bound) % bound;
            while (low < threshold)
            {
                high = Math.BigMul(Next(), bound, out low);
            }
        }

        return high;
    }

    /// <summary>Shuffles <paramref name="values"/> in place with the Fisher-Yates algorithm.</summary>
    internal void Shuffle(Span<long> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)NextBelow((ulong)i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
