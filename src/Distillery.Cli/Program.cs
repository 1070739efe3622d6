using Distillery.Cli;

return await DistilleryCli.RunAsync(args, Console.Out, Console.Error);
