namespace TorchMmap.Format;

/// <summary>The byte order of a NumPy dtype, from the first character of its descr.</summary>
public enum NpyByteOrder
{
    /// <summary>One-byte types, where order does not apply (<c>|</c>).</summary>
    NotApplicable,

    /// <summary>Little endian (<c>&lt;</c>).</summary>
    Little,

    /// <summary>Big endian (<c>&gt;</c>); swapped while copying.</summary>
    Big,
}
