using TorchMmap.Cli.Commands;

namespace TorchMmap.Cli;

/// <summary>
/// The <c>npy</c> command: inspect, verify, summarise and convert NumPy .npy files. <see cref="Run"/> takes the
/// arguments and output writers, so it runs the same in a process or in a test.
/// </summary>
public static class NpyTool
{
    /// <summary>The usage text.</summary>
    public static string UsageText { get; } = string.Join(Environment.NewLine,
        "usage: npy COMMAND ARGS",
        "",
        "commands:",
        "  " + InfoCommand.Usage,
        "  " + HeadCommand.Usage,
        "  " + StatsCommand.Usage,
        "  " + ConvertIdxCommand.Usage,
        "  " + VerifyCommand.Usage,
        "  " + TokensCommand.Usage,
        "  help               this text",
        "",
        "FILE may be a .npy file or an .npz archive (each array in turn).",
        RawLayout.UsageLine,
        $"exit codes: {ExitCodes.Success} success (verify: valid), {ExitCodes.InvalidFile} invalid or unreadable data (verify: invalid), " +
        $"{ExitCodes.Usage} usage error, {ExitCodes.IOError} file missing or I/O error");

    /// <summary>Runs one command.</summary>
    /// <param name="args">The command line, command name first.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where errors, usage and progress go.</param>
    /// <returns>The exit code: one of <see cref="ExitCodes"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            if (args.Length == 0)
                throw new UsageException("No command given.");
            string[] rest = args[1..];
            switch (args[0])
            {
                case "help" or "--help" or "-h":
                    stdout.WriteLine(UsageText);
                    return ExitCodes.Success;
                case "info":
                    return InfoCommand.Run(new CommandArguments("info", rest, 1, 0, RawLayout.Flags, RawLayout.Valued), stdout);
                case "head":
                    return HeadCommand.Run(new CommandArguments("head", rest, 1, 1, RawLayout.Flags, RawLayout.Valued), stdout);
                case "stats":
                    return StatsCommand.Run(new CommandArguments("stats", rest, 1, 0, RawLayout.Flags, RawLayout.Valued), stdout);
                case "convert-idx":
                    return ConvertIdxCommand.Run(new CommandArguments("convert-idx", rest, 2, 0, "--channel-axis", "--int64-labels"), stdout, stderr);
                case "tokens":
                    return TokensCommand.Run(rest, stdout, stderr);
                case "verify":
                    return VerifyCommand.Run(new CommandArguments("verify", rest, 1, 0), stdout);
                default:
                    throw new UsageException($"Unknown command '{args[0]}'.");
            }
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"npy: {e.Message}");
            stderr.WriteLine(UsageText);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            stderr.WriteLine($"npy: {e.Message}");
            return ExitCodes.InvalidFile;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            stderr.WriteLine($"npy: {e.Message}");
            return ExitCodes.IOError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"npy: {e.Message}");
            return ExitCodes.IOError;
        }
    }
}
