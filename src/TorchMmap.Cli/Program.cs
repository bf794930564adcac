using TorchMmap.Cli;

return NpyTool.Run(args, Console.Out, Console.Error);
