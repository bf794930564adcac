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
        "  help, --help       this text (COMMAND --help: that command's)",
        "  --version          the tool's version",
        "",
        "FILE may be a .npy file or an .npz archive (each array in turn).",
        RawLayout.UsageLine,
        $"exit codes: {ExitCodes.Success} success (verify: valid), {ExitCodes.InvalidFile} malformed or unreadable data (verify: invalid), " +
        $"{ExitCodes.Usage} usage error, {ExitCodes.IOError} file missing, a directory, or I/O error, " +
        $"{ExitCodes.Unsupported} well formed but not loadable by TorchMmap (e.g. uint64)");

    /// <summary>The tool's version, as the package gives it.</summary>
    public static string Version { get; } =
        typeof(NpyTool).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(NpyTool).Assembly.GetName().Version?.ToString() ?? "unknown";

    // The usage of one command, for "npy COMMAND --help".
    private static string? CommandUsage(string command) => command switch
    {
        "info" => InfoCommand.Usage + Environment.NewLine + RawLayout.UsageLine,
        "head" => HeadCommand.Usage + Environment.NewLine + RawLayout.UsageLine,
        "stats" => StatsCommand.Usage + Environment.NewLine + RawLayout.UsageLine,
        "convert-idx" => ConvertIdxCommand.Usage,
        "verify" => VerifyCommand.Usage,
        _ => null,
    };

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
            if (CommandUsage(args[0]) is string usage && rest.Any(a => a is "--help" or "-h"))
            {
                stdout.WriteLine("usage: npy " + usage);
                return ExitCodes.Success;
            }
            switch (args[0])
            {
                case "help" or "--help" or "-h":
                    stdout.WriteLine(UsageText);
                    return ExitCodes.Success;
                case "--version":
                    stdout.WriteLine($"npy {Version}");
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
        catch (InvalidDataException e)
        {
            stderr.WriteLine($"npy: {e.Message}");
            return ExitCodes.InvalidFile;
        }
        catch (NotSupportedException e)
        {
            stderr.WriteLine($"npy: {e.Message}");
            return ExitCodes.Unsupported;
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
