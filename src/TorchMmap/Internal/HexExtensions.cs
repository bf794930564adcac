namespace TorchMmap.Internal;

internal static class HexExtensions
{
    /// <summary>Turns "934E55" into "93-4E-55" for messages.</summary>
    public static string Chunk2(this string hex) => string.Join('-', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2)));
}
