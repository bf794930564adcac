namespace TorchMmap.Reliability.Fuzz;

/// <summary>What a fuzz case must do when read.</summary>
public enum Expect
{
    /// <summary>Read as <see cref="NpyCase.Accepted"/> describes, values decoded from the file's own bytes.</summary>
    Accept,

    /// <summary>Refused with <see cref="InvalidDataException"/>.</summary>
    RefuseInvalid,

    /// <summary>Refused with <see cref="NotSupportedException"/>.</summary>
    RefuseUnsupported,

    /// <summary>Refused with either documented exception type.</summary>
    RefuseAny,

    /// <summary>Either refused with a documented exception type, or read consistently with the header the library parsed.</summary>
    AnyDocumented,
}
