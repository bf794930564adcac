namespace TorchMmap.Format;

/// <summary>The kind of a NumPy dtype, from the type character of its descr.</summary>
public enum NpyKind
{
    /// <summary>Boolean (<c>b</c>, or <c>?</c>).</summary>
    Bool,

    /// <summary>Signed integer (<c>i</c>).</summary>
    SignedInteger,

    /// <summary>Unsigned integer (<c>u</c>).</summary>
    UnsignedInteger,

    /// <summary>IEEE floating point (<c>f</c>).</summary>
    Float,

    /// <summary>Complex floating point (<c>c</c>).</summary>
    Complex,
}
