using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;
using TorchMmap.Cli.Commands;

namespace TorchMmap.Cli;

/// <summary>
/// The <c>npy</c> command: inspect, verify, summarise and convert NumPy .npy files. <see cref="Run"/> takes the
/// arguments and output writers, so it runs the same in a process or in a test.
/// </summary>
public static class NpyTool
{
    // Response files (@args) are off: an argument that starts with '@' is a file name like any other.
    private static readonly ParserConfiguration s_parserConfiguration = new() { ResponseFileTokenReplacer = null };

    /// <summary>The tool's version, as the package gives it.</summary>
    public static string Version { get; } =
        typeof(NpyTool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(NpyTool).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Runs one command.</summary>
    /// <param name="args">The command line, command name first.</param>
    /// <param name="stdout">Where results and help go.</param>
    /// <param name="stderr">Where errors, usage after an error, and progress go.</param>
    /// <returns>The exit code: one of <see cref="ExitCodes"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ParseResult result = CreateRootCommand().Parse(args, s_parserConfiguration);
        if (result.Action is ParseErrorAction)
            return UsageError(result, result.Errors.Select(e => e.Message), stderr);
        try
        {
            return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            return UsageError(result, [e.Message], stderr);
        }
        catch (InvalidDataException e)
        {
            return Failed(e, ExitCodes.InvalidFile, stderr);
        }
        catch (NotSupportedException e)
        {
            return Failed(e, ExitCodes.Unsupported, stderr);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // FileNotFoundException and DirectoryNotFoundException are IOExceptions too.
            return Failed(e, ExitCodes.IOError, stderr);
        }
    }

    /// <summary>The command tree: every command with its arguments, options, help and action.</summary>
    private static Command CreateRootCommand()
    {
        // A named command rather than RootCommand, whose name is the process's: "npy" in help under "dotnet run" and tests too.
        var root = new Command("npy", string.Join(Environment.NewLine,
            "Inspect, verify, summarise and convert NumPy .npy/.npz files and token files, without libtorch.",
            "FILE may be a .npy file or an .npz archive (each array in turn); info, head and stats read a headerless",
            "(np.memmap) file with --raw DTYPE [--offset N] [--shape D1,D2,...] [--fortran].",
            $"Exit codes: {ExitCodes.Success} success (verify: valid), {ExitCodes.InvalidFile} malformed or unreadable data (verify: invalid),",
            $"{ExitCodes.Usage} usage error, {ExitCodes.IOError} file missing, a directory, or I/O error,",
            $"{ExitCodes.Unsupported} well formed but not loadable by TorchMmap (e.g. uint64)."))
        {
            InfoCommand.Create(),
            HeadCommand.Create(),
            StatsCommand.Create(),
            VerifyCommand.Create(),
            ConvertIdxCommand.Create(),
            AlignCommand.Create(),
            TokensCommand.Create(),
            CreateHelpCommand(),
        };
        root.Add(new HelpOption());
        // "npy --version" prints "npy X.Y.Z", as other tools do.
        root.Add(new VersionOption { Action = new VersionAction() });
        return root;
    }

    // "npy help [COMMAND...]": the help of the tool or of a command, as "npy [COMMAND...] --help" prints it.
    private static Command CreateHelpCommand()
    {
        var path = new Argument<string[]>("COMMAND") { Description = "The command (and subcommand) to describe.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("help", "Show the help of the tool or of a command.") { path };
        command.SetAction(result =>
        {
            string[] names = result.GetValue(path) ?? [];
            ParseResult help = CreateRootCommand().Parse([.. names, "--help"], s_parserConfiguration);
            // Help clears parse errors, so an unknown name shows as a token that matched no command.
            if (help.UnmatchedTokens.Count > 0 || help.Errors.Count > 0)
                throw new UsageException($"No command '{string.Join(' ', names)}'.");
            return help.Invoke(new InvocationConfiguration { Output = result.InvocationConfiguration.Output });
        });
        return command;
    }

    // A command line the tool cannot run: the reasons, then the help of the command they concern, all on stderr.
    private static int UsageError(ParseResult result, IEnumerable<string> messages, TextWriter stderr)
    {
        string[] path = CommandPath(result.CommandResult);
        string prefix = path.Length == 0 ? "npy" : $"npy {string.Join(' ', path)}";
        foreach (string message in messages)
            stderr.WriteLine($"{prefix}: {message}");
        stderr.WriteLine();
        CreateRootCommand().Parse([.. path, "--help"], s_parserConfiguration).Invoke(new InvocationConfiguration { Output = stderr });
        return ExitCodes.Usage;
    }

    private static int Failed(Exception e, int code, TextWriter stderr)
    {
        stderr.WriteLine($"npy: {e.Message}");
        return code;
    }

    // The names of the command and its parents below the root, as typed.
    private static string[] CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (CommandResult? c = command; c?.Parent is CommandResult parent; c = parent)
            names.Insert(0, c.Command.Name);
        return [.. names];
    }

    /// <summary>Prints <c>npy</c> and the version.</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"npy {Version}");
            return ExitCodes.Success;
        }
    }
}
