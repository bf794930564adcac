namespace TorchMmap.Idx;

/// <summary>The element type of an IDX file, as coded in the third byte of its magic number.</summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned 8-bit integer (0x08).</summary>
    UInt8 = 0x08,

    /// <summary>Signed 8-bit integer (0x09).</summary>
    Int8 = 0x09,

    /// <summary>Signed 16-bit big-endian integer (0x0B).</summary>
    Int16 = 0x0B,

    /// <summary>Signed 32-bit big-endian integer (0x0C).</summary>
    Int32 = 0x0C,

    /// <summary>32-bit big-endian IEEE float (0x0D).</summary>
    Float32 = 0x0D,

    /// <summary>64-bit big-endian IEEE float (0x0E).</summary>
    Float64 = 0x0E,
}
