namespace TorchMmap.Format;

/// <summary>Signatures, offsets and sizes of the zip records an .npz archive is made of (PKWARE APPNOTE 6.3).</summary>
internal static class NpzLayout
{
    public const uint EndOfCentralDirectorySignature = 0x06054b50;
    public static ReadOnlySpan<byte> EndOfCentralDirectorySignatureBytes => "PK\u0005\u0006"u8;
    public const int EndOfCentralDirectoryLength = 22;
    public const int MaxCommentLength = ushort.MaxValue;
    public const int EocdEntryCountOffset = 10;
    public const int EocdDirectorySizeOffset = 12;
    public const int EocdDirectoryOffsetOffset = 16;

    public const uint Zip64LocatorSignature = 0x07064b50;
    public const int Zip64LocatorLength = 20;
    public const int Zip64LocatorEocdOffset = 8;
    public const uint Zip64EndOfCentralDirectorySignature = 0x06064b50;
    public const int Zip64EocdLength = 56;
    public const int Zip64EocdEntryCountOffset = 32;
    public const int Zip64EocdDirectorySizeOffset = 40;
    public const int Zip64EocdDirectoryOffsetOffset = 48;

    public const uint CentralHeaderSignature = 0x02014b50;
    public const int CentralHeaderLength = 46;
    public const int CentralFlagsOffset = 8;
    public const int CentralMethodOffset = 10;
    public const int CentralCrcOffset = 16;
    public const int CentralCompressedSizeOffset = 20;
    public const int CentralSizeOffset = 24;
    public const int CentralNameLengthOffset = 28;
    public const int CentralExtraLengthOffset = 30;
    public const int CentralCommentLengthOffset = 32;
    public const int CentralLocalHeaderOffset = 42;

    public const uint LocalHeaderSignature = 0x04034b50;
    public const int LocalHeaderLength = 30;
    public const int LocalMethodOffset = 8;
    public const int LocalNameLengthOffset = 26;
    public const int LocalExtraLengthOffset = 28;

    public const long MaxDeflateRatio = 1032;
    public const long MaxDeflateSlack = 1024;

    public const ushort Zip64ExtraId = 0x0001;
    public const ushort EncryptedFlag = 0x0001;
    public const uint Saturated32 = uint.MaxValue;
    public const ushort Saturated16 = ushort.MaxValue;
}
