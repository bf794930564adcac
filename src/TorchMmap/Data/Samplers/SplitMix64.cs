namespace TorchMmap.Data;

/// <summary>
/// The mixing function of Sebastiano Vigna's SplitMix64 generator: a bijection on 64-bit values that avalanches every
/// bit, fully determined on every platform and runtime (unlike <see cref="Random"/>, whose algorithm .NET may change).
/// The shuffling samplers key their permutations with it.
/// </summary>
internal static class SplitMix64
{
    /// <summary>Returns SplitMix64's output function applied to <paramref name="value"/>: a bijection that avalanches every bit.</summary>
    internal static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }

    /// <summary>
    /// Returns the key of stream <paramref name="stream"/> of an epoch whose seed is <paramref name="epochSeed"/>.
    /// Streams are keyed by hashing, not by consecutive values, so nearby streams and seeds share no outputs.
    /// </summary>
    internal static ulong StreamKey(ulong epochSeed, ulong stream) => Mix(unchecked(Mix(epochSeed) + Mix(stream)));
}
