using System.Numerics;
using System.Runtime.CompilerServices;

namespace TorchMmap.Data;

/// <summary>
/// A keyed pseudo-random permutation of <c>[0, Length)</c> that maps any position to its value in a few hash rounds,
/// without an array: a Feistel network on the smallest number of bits that covers <c>Length</c> (halves of equal size, or
/// one bit apart), restricted to <c>[0, Length)</c> by cycle walking.
/// </summary>
/// <remarks>
/// A Feistel network is a bijection on its <c>2^bits</c>-element domain whatever its round function (a round maps halves
/// (L, R) of a and b bits to (R, L xor F(R)) of b and a bits, and an even number of rounds restores the widths), so
/// following the cycle of a position until it lands below <c>Length</c> again gives a bijection on <c>[0, Length)</c>. The
/// domain is less than twice <c>Length</c>, so a position takes fewer than two walks on average. The round function
/// is SplitMix64's mixer of the half block and a round key; six rounds are well past the three a pseudo-random
/// permutation needs (Luby and Rackoff).
/// </remarks>
internal readonly struct FeistelPermutation
{
    private const int Rounds = 6;

    private readonly ulong _length;
    private readonly int _leftBits;
    private readonly int _rightBits;
    private readonly RoundKeys _keys;

    /// <summary>Initializes the permutation of <c>[0, <paramref name="length"/>)</c> selected by <paramref name="key"/>.</summary>
    /// <param name="length">The number of positions; at least 1.</param>
    /// <param name="key">Any 64-bit key; every key selects another permutation.</param>
    internal FeistelPermutation(ulong length, ulong key)
    {
        System.Diagnostics.Debug.Assert(length > 0);
        _length = length;
        int bits = Math.Max(2, length <= 1 ? 0 : 64 - BitOperations.LeadingZeroCount(length - 1));
        _leftBits = bits / 2;
        _rightBits = bits - _leftBits;
        for (int r = 0; r < Rounds; r++)
        {
            _keys[r] = SplitMix64.Mix(unchecked(key + ((ulong)(r + 1) * 0x9E3779B97F4A7C15)));
        }
    }

    /// <summary>Gets the number of positions permuted.</summary>
    internal ulong Length => _length;

    /// <summary>Returns the value at <paramref name="position"/>, which must be below <see cref="Length"/>.</summary>
    internal ulong this[ulong position]
    {
        get
        {
            ulong x = position;
            do
            {
                x = Encrypt(x);
            }
            while (x >= _length);
            return x;
        }
    }

    /// <summary>Returns the position whose value is <paramref name="value"/>, which must be below <see cref="Length"/>.</summary>
    internal ulong Inverse(ulong value)
    {
        ulong x = value;
        do
        {
            x = Decrypt(x);
        }
        while (x >= _length);
        return x;
    }

    private ulong Encrypt(ulong x)
    {
        int leftBits = _leftBits, rightBits = _rightBits;
        ulong left = x >> rightBits, right = x & Mask(rightBits);
        for (int r = 0; r < Rounds; r++)
        {
            // (L: a bits, R: b bits) -> (R: b bits, L ^ F(R): a bits).
            (left, right) = (right, left ^ (Round(r, right) & Mask(leftBits)));
            (leftBits, rightBits) = (rightBits, leftBits);
        }

        return (left << rightBits) | right;
    }

    private ulong Decrypt(ulong x)
    {
        int leftBits = _leftBits, rightBits = _rightBits;
        ulong left = x >> rightBits, right = x & Mask(rightBits);
        for (int r = Rounds - 1; r >= 0; r--)
        {
            // (R: b bits, L ^ F(R): a bits) -> (L: a bits, R: b bits).
            (left, right) = (right ^ (Round(r, left) & Mask(rightBits)), left);
            (leftBits, rightBits) = (rightBits, leftBits);
        }

        return (left << rightBits) | right;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(int bits) => (1UL << bits) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Round(int r, ulong half) => SplitMix64.Mix(half ^ _keys[r]);

    [InlineArray(Rounds)]
    private struct RoundKeys
    {
        private ulong _first;
    }
}
