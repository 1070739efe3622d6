using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Distillery.Tests.Functions;

public enum FunctionTaskKind { Orchestrator, Activity }

/// <summary>An orchestrator or activity function of a Functions app: its task name, and the input and output types
/// of its method (Input is null for an orchestrator that takes no input parameter).</summary>
public sealed record FunctionTask(string Name, FunctionTaskKind Kind, Type? Input, Type Output, MethodInfo Method);

/// <summary>
/// A Functions app's own orchestrator and activity functions as durable tasks on any <see cref="DurableTaskRegistry"/>
/// (here, Durable Task's in-process test backend): found by reflection, as the Functions host finds them, and each
/// invoked on an instance of its class built from the worker's services, as the Functions host builds it.
/// Only the bindings the app uses are supported; any other parameter fails registration, so that a new binding is
/// added here deliberately and not silently passed a default.
/// </summary>
public static class FunctionsTasks
{
    public static IReadOnlyList<FunctionTask> Discover(Assembly functionsAssembly) =>
        functionsAssembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(x => x.Function is not null)
            .Select(x => Describe(x.Method, x.Function!.Name))
            .OfType<FunctionTask>()
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();

    /// <param name="services">The worker's service provider, asked for when a task runs (the host's own provider
    /// exists only once the host has started, after the registry is built).</param>
    public static DurableTaskRegistry Register(DurableTaskRegistry registry, Assembly functionsAssembly, Func<IServiceProvider> services)
    {
        foreach (var task in Discover(functionsAssembly))
        {
            var add = task.Kind == FunctionTaskKind.Orchestrator ? nameof(AddOrchestrator) : nameof(AddActivity);
            typeof(FunctionsTasks).GetMethod(add, BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(task.Input ?? typeof(object), task.Output)
                .Invoke(null, [registry, task, services]);
        }
        return registry;
    }

    private static void AddOrchestrator<TInput, TOutput>(DurableTaskRegistry registry, FunctionTask task, Func<IServiceProvider> services) =>
        registry.AddOrchestratorFunc<TInput, TOutput>(task.Name, (context, input) =>
            InvokeAsync<TOutput>(task, services(), p => p.IsDefined(typeof(OrchestrationTriggerAttribute)) ? context : input));

    private static void AddActivity<TInput, TOutput>(DurableTaskRegistry registry, FunctionTask task, Func<IServiceProvider> services) =>
        registry.AddActivityFunc<TInput, TOutput>(task.Name, (_, input) => InvokeAsync<TOutput>(task, services(), _ => input));

    private static async Task<TOutput> InvokeAsync<TOutput>(FunctionTask task, IServiceProvider services, Func<ParameterInfo, object?> argument)
    {
        // A scope per invocation, as the Functions host gives each invocation its own InstanceServices.
        await using var scope = services.CreateAsyncScope();
        var method = task.Method;
        var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope.ServiceProvider, method.DeclaringType!);
        // DoNotWrapExceptions: the task fails with the function's own exception (its type is what callers check).
        var result = method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, method.GetParameters().Select(argument).ToArray(), null);
        return result is Task<TOutput> pending ? await pending : (TOutput)result!;
    }

    private static FunctionTask? Describe(MethodInfo method, string name)
    {
        var parameters = method.GetParameters();
        var orchestration = parameters.Where(p => p.IsDefined(typeof(OrchestrationTriggerAttribute))).ToList();
        var activity = parameters.Where(p => p.IsDefined(typeof(ActivityTriggerAttribute))).ToList();
        if (orchestration.Count + activity.Count == 0) return null;

        var output = OutputOf(method, name);
        if (orchestration is [var context])
        {
            if (context.ParameterType != typeof(TaskOrchestrationContext))
                throw Unsupported(name, context, $"an orchestration trigger must be a {nameof(TaskOrchestrationContext)}");
            // The Functions host binds the orchestration's input to the one parameter that has no binding.
            var inputs = parameters.Where(p => p != context).ToList();
            foreach (var p in inputs.Where(p => p.GetCustomAttributes().Any(a => a.GetType().Namespace?.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal) == true)
                                                || p.ParameterType == typeof(CancellationToken) || p.ParameterType == typeof(FunctionContext)))
                throw Unsupported(name, p, "only the context and one input parameter are supported");
            if (inputs.Count > 1) throw Unsupported(name, inputs[1], "an orchestrator takes at most one input parameter");
            return new FunctionTask(name, FunctionTaskKind.Orchestrator, inputs.SingleOrDefault()?.ParameterType, output, method);
        }
        if (activity is [var trigger] && orchestration.Count == 0)
        {
            if (parameters.FirstOrDefault(p => p != trigger) is { } other) throw Unsupported(name, other, "an activity takes only its [ActivityTrigger] input");
            return new FunctionTask(name, FunctionTaskKind.Activity, trigger.ParameterType, output, method);
        }
        throw new NotSupportedException($"function {name} has more than one durable trigger");
    }

    private static Type OutputOf(MethodInfo method, string name)
    {
        var type = method.ReturnType;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>)) return type.GetGenericArguments()[0];
        if (type == typeof(void) || typeof(Task).IsAssignableFrom(type) || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            throw new NotSupportedException($"function {name} returns {type.Name}: only Task<T> and T are supported");
        return type;
    }

    private static NotSupportedException Unsupported(string function, ParameterInfo parameter, string why) =>
        new($"function {function}: parameter '{parameter.Name}' ({parameter.ParameterType.Name}) is not supported here: {why}");
}
