namespace TorchMmap.Format;

/// <summary>
/// Which table maps the dtype code of a Megatron-style <c>.idx</c> file to a NumPy dtype. The two tables agree except on codes
/// 6 and 7, and nothing in the file says which one wrote it, so the caller chooses; the library never guesses.
/// </summary>
public enum IndexedDatasetConvention
{
    /// <summary>Megatron-LM and Megatron-core: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16.</summary>
    Megatron,

    /// <summary>GPT-NeoX: as <see cref="Megatron"/> but 6 float32 and 7 float64.</summary>
    GptNeoX,
}
