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

    /// <summary>A file is missing or cannot be read or written.</summary>
    public const int IOError = 3;
}
