namespace TorchMmap.Format;

/// <summary>Byte offsets, lengths and limits of the .npy preamble, as the NumPy format specification gives them.</summary>
internal static class NpyLayout
{
    /// <summary>The magic string every .npy file starts with: <c>\x93NUMPY</c>.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public const int MagicOffset = 0;
    public const int MagicLength = 6;
    public const int MajorVersionOffset = 6;
    public const int MinorVersionOffset = 7;
    public const int HeaderLengthOffset = 8;

    /// <summary>Version 1.0 stores the header length as a little-endian uint16.</summary>
    public const int HeaderLengthSizeV1 = 2;

    /// <summary>Versions 2.0 and 3.0 store it as a little-endian uint32.</summary>
    public const int HeaderLengthSizeV2 = 4;

    public const int PreambleLengthV1 = HeaderLengthOffset + HeaderLengthSizeV1;
    public const int PreambleLengthV2 = HeaderLengthOffset + HeaderLengthSizeV2;

    /// <summary>NumPy pads the header so the data starts on a multiple of this (older writers used 16).</summary>
    public const int Alignment = 64;

    /// <summary>The largest data alignment the writers take: its header stays within NumPy's default max_header_size
    /// (10,000 bytes), so np.load reads such files without options.</summary>
    public const int MaxDataAlignment = 8192;

    /// <summary>NumPy reserves room for this many digits of the growth axis, so a header can be rewritten in place.</summary>
    public const int GrowthAxisMaxDigits = 21;

    /// <summary>NumPy's default <c>max_header_size</c>: longer headers are refused unless the caller allows them.</summary>
    public const int DefaultMaxHeaderLength = 10_000;

    /// <summary>The largest header a version 1.0 file can describe.</summary>
    public const int MaxHeaderLengthV1 = ushort.MaxValue;
}
