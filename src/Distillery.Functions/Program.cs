using Distillery;
using Distillery.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// `dotnet Distillery.Functions.dll --self-test`: load TorchSharp, run the models once, exit (see SelfTest.cs).
if (args.Contains("--self-test")) return SelfTest.Run(Console.Out);

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Read at start-up: a setting the app cannot honour stops it here, with one line naming the setting.
DistilleryOptions appOptions;
try { appOptions = DistilleryOptions.From(builder.Configuration); }
catch (InvalidInputException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
builder.Services.AddDistillery();
builder.Services.AddSingleton(appOptions);

builder.Build().Run();
return 0;
