namespace TorchMmap.Cli;

/// <summary>The exit codes of the <c>npy</c> command.</summary>
public static class ExitCodes
{
    /// <summary>The command succeeded (for <c>verify</c>: the file is valid).</summary>
    public const int Success = 0;

    /// <summary>The file is malformed, or holds data the command cannot read (for <c>verify</c>: the file is invalid).</summary>
    public const int InvalidFile = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or extra arguments.</summary>
    public const int Usage = 2;

    /// <summary>A file is missing, is a directory, or cannot be read or written.</summary>
    public const int IOError = 3;

    /// <summary>
    /// The file is well formed but holds what TorchMmap cannot read: a dtype with no tensor type (uint64, strings, ...)
    /// or a layout it does not take. For <c>verify</c>: not malformed, but not loadable.
    /// </summary>
    public const int Unsupported = 4;
}
