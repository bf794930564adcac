namespace TorchMmap.Data;

/// <summary>
/// The 32-bit Mersenne Twister as PyTorch's CPU generator runs it (<c>at::mt19937</c>): seeded from the low 32 bits of
/// <c>manual_seed</c>'s value with the standard initialisation, one 32-bit output per <c>random()</c> call and two (the first
/// as the high word) per <c>random64()</c> call. Checked against PyTorch 1.13 by the tests.
/// </summary>
internal sealed class Mt19937
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _state = new uint[N];
    private int _next;

    public Mt19937(ulong seed)
    {
        _state[0] = (uint)seed;
        for (int j = 1; j < N; j++)
            _state[j] = unchecked(1812433253u * (_state[j - 1] ^ (_state[j - 1] >> 30)) + (uint)j);
        _next = N;
    }

    private Mt19937(Mt19937 other)
    {
        Array.Copy(other._state, _state, N);
        _next = other._next;
    }

    /// <summary>A generator in the same state, advancing independently.</summary>
    public Mt19937 Clone() => new(this);

    /// <summary>The next 32-bit output (PyTorch's <c>random()</c>).</summary>
    public uint NextUInt32()
    {
        if (_next >= N)
            Twist();
        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary>The next 64-bit output (PyTorch's <c>random64()</c>: two draws, the first the high word).</summary>
    public ulong NextUInt64()
    {
        ulong hi = NextUInt32();
        ulong lo = NextUInt32();
        return (hi << 32) | lo;
    }

    /// <summary>Skips <paramref name="count"/> 32-bit outputs.</summary>
    public void Discard(long count)
    {
        while (count > 0)
        {
            if (_next >= N)
                Twist();
            long step = Math.Min(count, N - _next);
            _next += (int)step;
            count -= step;
        }
    }

    private void Twist()
    {
        uint[] s = _state;
        for (int k = 0; k < N; k++)
        {
            uint y = (s[k] & UpperMask) | (s[(k + 1) % N] & LowerMask);
            s[k] = s[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        }
        _next = 0;
    }
}
