using Distillery;
using Distillery.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// `dotnet Distillery.Functions.dll --self-test`: load TorchSharp, run the models once, exit (see SelfTest.cs).
if (args.Contains("--self-test")) return SelfTest.Run(Console.Out);

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddDistillery();

IHost host;
try
{
    host = builder.Build();
    // Resolved at start-up: a setting the app cannot honour stops it here, with one line naming the setting.
    _ = host.Services.GetRequiredService<IOptions<DistilleryOptions>>().Value;
}
catch (Exception e) when (e is InvalidInputException or OptionsValidationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

host.Run();
return 0;
