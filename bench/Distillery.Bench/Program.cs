using Distillery.Bench;
using Distillery.Experiments;

var argv = args.ToList();
string Arg(string name, string fallback)
{
    var i = argv.IndexOf(name);
    return i >= 0 && i + 1 < argv.Count ? argv[i + 1] : fallback;
}
var command = argv.FirstOrDefault() ?? "help";
switch (command)
{
    case "profile":
    {
        using var fx = Fixture.Load(Arg("--data", DefaultData.Path));
        Profile.Print(Profile.Run(fx, int.Parse(Arg("--reps", "3"))));
        return 0;
    }
    default:
        Console.Error.WriteLine("usage: distillery-bench profile|infer|synth|all");
        return 2;
}
