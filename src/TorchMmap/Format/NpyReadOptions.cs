namespace TorchMmap.Format;

/// <summary>Limits applied while reading a .npy header.</summary>
public sealed class NpyReadOptions
{
    /// <summary>The options used when none are given.</summary>
    public static NpyReadOptions Default { get; } = new();

    /// <summary>
    /// The longest header accepted, in bytes. Defaults to 10000, NumPy's <c>max_header_size</c>; a longer header is
    /// refused with <see cref="InvalidDataException"/> because parsing untrusted long headers is a denial-of-service risk.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxHeaderLength
    {
        get => _maxHeaderLength;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxHeaderLength = value;
        }
    }

    private readonly int _maxHeaderLength = NpyLayout.DefaultMaxHeaderLength;
}
