using Drivers.Core.Contracts;
using Drivers.Core.Settings;
using Drivers.Core.Templating;
using Drivers.Etcd.Gateway;

namespace Drivers.Etcd;

internal enum EtcdOp { None, Remove, Move, Put }

/// <summary>
/// A bound -etcd-clear-* or -etcd-fail-* family. Unlike the original, which ran rm/mv on the retrieve key
/// itself (with -etcd-with-prefix: the prefix string, so the item taken stayed and ran for ever), every op
/// acts on the key actually taken, and its key may be a template ({{key}} is the key taken).
/// </summary>
internal sealed class EtcdOpPlan
{
    private readonly SettingValues _settings;
    private readonly EtcdOpSettings _declared;
    private readonly SettingTemplate? _key;
    private readonly SettingTemplate? _val;

    public EtcdOpPlan(SettingValues settings, EtcdOpSettings declared)
    {
        _settings = settings;
        _declared = declared;
        Op = settings.GetString(declared.Op) switch
        {
            "rm" => EtcdOp.Remove,
            "mv" => EtcdOp.Move,
            "put" => EtcdOp.Put,
            _ => EtcdOp.None,
        };
        _key = SettingTemplate.Parse(settings, declared.Key);
        _val = SettingTemplate.Parse(settings, declared.Val);
        if (Op == EtcdOp.Move && _key is null)
        {
            throw settings.Invalid(declared.Op, $"{declared.Phase} op mv needs a destination: set -{declared.Key.Name}, e.g. {declared.Phase}ed/{{{{key}}}}");
        }
        if (Op == EtcdOp.Put && _val is null)
        {
            throw settings.Invalid(declared.Op, $"{declared.Phase} op put needs a value: set -{declared.Val.Name}");
        }
    }

    public EtcdOp Op { get; }

    /// <summary>The operations that settle the item (the claim's deletion is added by the caller).</summary>
    /// <param name="inRange">Whether a key lies where procx takes work from: a move there would run the item again.</param>
    public List<RequestOp> Operations(byte[] key, byte[] value, TemplateData data, Func<byte[], bool> inRange, out bool leftInRange)
    {
        leftInRange = false;
        switch (Op)
        {
            case EtcdOp.Remove:
                return [new RequestOp { Delete = new DeleteRangeRequest { Key = key } }];
            case EtcdOp.Move:
            {
                var target = Target(key, data);
                if (target.AsSpan().SequenceEqual(key))
                {
                    leftInRange = true;
                    return [];
                }
                if (inRange(target))
                {
                    throw _settings.Invalid(_declared.Key, $"{_declared.Phase} op mv would move '{EtcdKeys.Text(key)}' to '{EtcdKeys.Text(target)}', where procx takes work from (it would run again): pick a key outside -etcd-retrieve-key");
                }
                return [new RequestOp { Put = new PutRequest { Key = target, Value = value } }, new RequestOp { Delete = new DeleteRangeRequest { Key = key } }];
            }
            case EtcdOp.Put:
            {
                var target = Target(key, data);
                leftInRange = true; // the original's put never removed the item
                return [new RequestOp { Put = new PutRequest { Key = target, Value = EtcdKeys.Bytes(_val!.Render(data)) } }];
            }
            default:
                leftInRange = true;
                return [];
        }
    }

    private byte[] Target(byte[] key, TemplateData data)
    {
        if (_key is null)
        {
            return key;
        }
        var rendered = _key.HasExpressions ? _key.Render(data) : _key.Text;
        return rendered.Length > 0 ? EtcdKeys.Bytes(rendered) : throw DriverException.DataError($"{_key.Origin} '{_key.Text}' rendered an empty key");
    }
}
