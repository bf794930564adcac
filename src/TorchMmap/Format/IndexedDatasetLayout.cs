namespace TorchMmap.Format;

/// <summary>Byte offsets and sizes of a Megatron indexed dataset's <c>.idx</c> file (little-endian throughout).</summary>
internal static class IndexedDatasetLayout
{
    /// <summary>The 9-byte magic at offset 0: <c>MMIDIDX\0\0</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "MMIDIDX\0\0"u8;

    public const int VersionOffset = 9;         // u64, always 1
    public const int DTypeCodeOffset = 17;      // u8
    public const int SequenceCountOffset = 18;  // u64
    public const int DocumentCountOffset = 26;  // u64
    public const int HeaderSize = 34;           // then int32 lengths, int64 pointers, int64 document indices, [int8 modes]

    public const ulong Version = 1;
}
