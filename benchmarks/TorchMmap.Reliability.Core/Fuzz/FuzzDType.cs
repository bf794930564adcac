namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// A dtype as the fuzzer understands it, independently of the library: enough to decode raw .npy data bytes into the
/// bytes a loaded tensor must hold.
/// </summary>
/// <param name="Descr">The canonical descr string, e.g. <c>&gt;f4</c>.</param>
/// <param name="Kind">NumPy's kind character: <c>b</c>, <c>i</c>, <c>u</c>, <c>f</c> or <c>c</c>.</param>
/// <param name="ItemSize">Bytes per element in the file.</param>
/// <param name="BigEndian">True when elements are stored big endian.</param>
public sealed record FuzzDType(string Descr, char Kind, int ItemSize, bool BigEndian)
{
    /// <summary>Every dtype the library must load, in both byte orders where that matters.</summary>
    public static IReadOnlyList<FuzzDType> Supported { get; } =
    [
        new("|b1", 'b', 1, false), new("|i1", 'i', 1, false), new("|u1", 'u', 1, false),
        new("<i2", 'i', 2, false), new(">i2", 'i', 2, true), new("<u2", 'u', 2, false), new(">u2", 'u', 2, true),
        new("<i4", 'i', 4, false), new(">i4", 'i', 4, true), new("<u4", 'u', 4, false), new(">u4", 'u', 4, true),
        new("<i8", 'i', 8, false), new(">i8", 'i', 8, true),
        new("<f2", 'f', 2, false), new(">f2", 'f', 2, true), new("<f4", 'f', 4, false), new(">f4", 'f', 4, true),
        new("<f8", 'f', 8, false), new(">f8", 'f', 8, true),
        new("<c8", 'c', 8, false), new(">c8", 'c', 8, true), new("<c16", 'c', 16, false), new(">c16", 'c', 16, true),
    ];

    /// <summary>Descr strings of real NumPy dtypes that have no tensor type and must be refused with <see cref="NotSupportedException"/>.</summary>
    public static IReadOnlyList<string> Unsupported { get; } = ["<u8", ">u8", "|O", "<U5", "|S3", "<M8[ns]", "<m8[s]", "|V8"];

    /// <summary>Descr strings that name no dtype at all and must be refused with <see cref="InvalidDataException"/>.</summary>
    public static IReadOnlyList<string> Malformed { get; } = ["", "<", "<f3", "<i16", "xyz", "<f4 ", "f\u00e94", "<f\u00004", "<i0", "<b2", "<c4", "<\u00a44"];

    /// <summary>The size of one element once loaded: uint16 widens to int32 and uint32 to int64.</summary>
    public int LoadedSize => Kind == 'u' && ItemSize is 2 or 4 ? ItemSize * 2 : ItemSize;

    /// <summary>Finds the fuzzer's view of a dtype from its kind, size and byte order.</summary>
    /// <param name="kind">The kind character.</param>
    /// <param name="itemSize">The item size.</param>
    /// <param name="bigEndian">The byte order (ignored for one-byte types).</param>
    /// <returns>The dtype, or null when the fuzzer does not know it.</returns>
    public static FuzzDType? Find(char kind, int itemSize, bool bigEndian) =>
        Supported.FirstOrDefault(d => d.Kind == kind && d.ItemSize == itemSize && (itemSize == 1 || d.BigEndian == bigEndian));
}
