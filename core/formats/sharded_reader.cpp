// Sharded Hugging Face checkpoints (docs/checkpoint-formats.md §6.1): an index whose weight_map
// names, for every tensor, the shard file holding it. Each shard is an ordinary single-file
// checkpoint (safetensors or torch.save zip) read by readFileInto; the result is one dict in
// weight_map order, as transformers assembles it.
#include "core/formats/sharded_reader.h"

#include "core/formats/checkpoint_reader.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QMap>
#include <QSet>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace statelens {

namespace {

using Json = nlohmann::json;

// Real indexes are a few MB (35 000 names is about 3 MB); this only stops a hostile file.
constexpr qint64 kMaxIndexSize = 256 * 1024 * 1024;
// Root > weight_map or metadata > value. Deeper values belong to fields we ignore.
constexpr int kMaxIndexDepth = 16;

// Preferred over any other index in the same folder, in this order (transformers prefers
// safetensors weights when both are present).
const char* const kPreferredIndexes[] = {"model.safetensors.index.json", "pytorch_model.bin.index.json"};
const char* const kIndexPatterns[] = {"*.safetensors.index.json", "*.bin.index.json", "*.pt.index.json", "*.pth.index.json"};

struct ShardIndex {
    QStringList names;           // weight_map keys, first-appearance order
    QStringList shardOfName;     // parallel to names
    QVector<QPair<QString, QString>> metadata;  // scalar entries of "metadata"
    bool hasWeightMap = false;
    int repeatedNames = 0;       // weight_map keys given more than once (the last file wins)
};

QString fromStd(const std::string& text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

// A name from the index for an error message: an index can hold a megabyte-long one.
QString shortName(const QString& name)
{
    constexpr int kMax = 120;
    QString text = name.size() > kMax ? name.left(kMax - 3) + QStringLiteral("...") : name;
    return text.replace(QChar(0), QLatin1Char('?'));
}

// SAX handler for the index. A DOM would do for the size, but nlohmann's DOM either sorts keys
// (json) or inserts in quadratic time (ordered_json), and weight_map order is the tensor order.
class IndexHandler {
public:
    explicit IndexHandler(ShardIndex* index) : m_index(index) {}

    bool failed() const { return m_failed; }
    const Error& error() const { return m_error; }

    bool null() { return scalar(QStringLiteral("null"), false); }
    bool boolean(bool value) { return scalar(value ? QStringLiteral("true") : QStringLiteral("false"), false); }
    bool number_integer(Json::number_integer_t value) { return scalar(QString::number(value), false); }
    bool number_unsigned(Json::number_unsigned_t value) { return scalar(QString::number(value), false); }
    bool number_float(Json::number_float_t, const std::string& text) { return scalar(fromStd(text), false); }
    bool string(std::string& value) { return scalar(fromStd(value), true); }
    bool binary(Json::binary_t&) { return scalar(QString(), false); }
    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(std::string& key);
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error)
    {
        std::string what = error.what();
        // Drop the "last read" token: it may be arbitrarily long.
        if (const size_t cut = what.find("; last read"); cut != std::string::npos)
            what.erase(cut);
        return fail(makeError(ErrorCode::Corrupt, QStringLiteral("shard index is not valid JSON: %1").arg(fromStd(what)), qint64(position)));
    }

private:
    // Where the parser is: which object of interest it is in, if any.
    enum class Place { Outside, Root, WeightMap, Metadata, Ignored };

    bool open(bool object);
    bool close();
    bool scalar(const QString& text, bool isString);
    bool fail(Error error)
    {
        m_failed = true;
        m_error = std::move(error);
        return false;
    }
    Place place() const { return m_places.empty() ? Place::Outside : m_places.back(); }

    ShardIndex* m_index;
    std::vector<Place> m_places;
    QString m_key;                 // the key before the current value
    QHash<QString, int> m_positions;  // weight_map key -> position in names
    bool m_failed = false;
    Error m_error;
};

bool IndexHandler::open(bool object)
{
    if (int(m_places.size()) >= kMaxIndexDepth)
        return fail(makeError(ErrorCode::LimitExceeded, QStringLiteral("shard index nests deeper than %1 levels").arg(kMaxIndexDepth)));
    Place next = Place::Ignored;
    switch (place()) {
    case Place::Outside:
        if (!object)
            return fail(makeError(ErrorCode::Corrupt, QStringLiteral("shard index is a list, not a JSON object")));
        next = Place::Root;
        break;
    case Place::Root:
        if (m_key == QLatin1String("weight_map")) {
            if (!object)
                return fail(makeError(ErrorCode::Corrupt, QStringLiteral("weight_map of the shard index is not an object")));
            m_index->hasWeightMap = true;
            next = Place::WeightMap;
        } else if (m_key == QLatin1String("metadata") && object) {
            next = Place::Metadata;
        }
        break;
    case Place::WeightMap:
        return fail(makeError(ErrorCode::Corrupt, QStringLiteral("weight_map entry '%1' is not a file name").arg(shortName(m_key))));
    case Place::Metadata:
    case Place::Ignored:
        break;
    }
    m_places.push_back(next);
    return true;
}

bool IndexHandler::close()
{
    m_places.pop_back();
    return true;
}

bool IndexHandler::key(std::string& key)
{
    m_key = fromStd(key);
    return true;
}

bool IndexHandler::scalar(const QString& text, bool isString)
{
    switch (place()) {
    case Place::Outside:
        return fail(makeError(ErrorCode::Corrupt, QStringLiteral("shard index is not a JSON object")));
    case Place::WeightMap: {
        if (!isString)
            return fail(makeError(ErrorCode::Corrupt, QStringLiteral("weight_map entry '%1' is not a file name").arg(shortName(m_key))));
        // Python's json.load keeps the last value of a repeated key, at the first key's place.
        const auto seen = m_positions.constFind(m_key);
        if (seen != m_positions.constEnd()) {
            m_index->shardOfName[*seen] = text;
            ++m_index->repeatedNames;
            return true;
        }
        m_positions.insert(m_key, int(m_index->names.size()));
        m_index->names.append(m_key);
        m_index->shardOfName.append(text);
        return true;
    }
    case Place::Metadata:
        m_index->metadata.append({m_key, text});
        return true;
    case Place::Root:
    case Place::Ignored:
        return true;
    }
    return true;
}

Result<ShardIndex> parseIndex(const QString& indexPath)
{
    auto map = MappedFile::open(indexPath);
    if (!map)
        return map.error();
    const MappedFile& file = **map;
    if (file.size() > kMaxIndexSize)
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("shard index of %1 bytes exceeds the limit of %2 bytes").arg(file.size()).arg(kMaxIndexSize));
    if (file.size() == 0)
        return makeError(ErrorCode::Truncated, QStringLiteral("shard index is empty"));

    // nlohmann takes a NUL byte for the end of the input; JSON allows none.
    if (std::memchr(file.data(), 0, size_t(file.size())))
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard index is not valid JSON: it contains a NUL byte"));

    ShardIndex index;
    IndexHandler handler(&index);
    try {
        const bool ok = Json::sax_parse(file.data(), file.data() + file.size(), &handler, Json::input_format_t::json, true);
        if (handler.failed())
            return handler.error();
        if (!ok)
            return makeError(ErrorCode::Corrupt, QStringLiteral("shard index is not valid JSON"));
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("out of memory while parsing the shard index"));
    } catch (const std::exception& e) {
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard index could not be parsed: %1").arg(QString::fromUtf8(e.what())));
    }
    if (!index.hasWeightMap)
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard index has no weight_map"));
    if (index.names.isEmpty())
        return makeError(ErrorCode::Corrupt, QStringLiteral("weight_map of the shard index lists no tensors"));
    return index;
}

// The shard's path, if `name` stays inside the index's folder. An index is data from wherever
// the checkpoint came from: it must not name /etc/passwd or ../../secret. Symbolic links are
// followed on purpose: the Hugging Face cache links snapshot files to ../../blobs/.
Result<QString> shardPath(const QDir& folder, const QString& name)
{
    if (name.isEmpty())
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard index names a shard with an empty file name"));
    if (name.contains(QChar(0)))
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard name '%1' contains a NUL character").arg(shortName(name)));
    // Checked on every platform, whatever QDir thinks absolute means here: "C:x", "\\server".
    const bool absolute = QDir::isAbsolutePath(name) || name.startsWith(QLatin1Char('/')) || name.startsWith(QLatin1Char('\\'))
        || (name.size() >= 2 && name[1] == QLatin1Char(':'));
    if (absolute)
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard name '%1' is an absolute path; shards must lie beside the index").arg(shortName(name)));
    const QStringList segments = QString(name).replace(QLatin1Char('\\'), QLatin1Char('/')).split(QLatin1Char('/'));
    if (segments.contains(QStringLiteral("..")))
        return makeError(ErrorCode::Corrupt, QStringLiteral("shard name '%1' leads out of the index's folder").arg(shortName(name)));
    const QString path = folder.filePath(name);
    const QFileInfo info(path);
    if (!info.exists())
        return makeError(ErrorCode::Io, QStringLiteral("shard %1 named by the index is missing").arg(shortName(name)));
    if (!info.isFile())
        return makeError(ErrorCode::Io, QStringLiteral("shard %1 named by the index is not a file").arg(shortName(name)));
    return path;
}

// The top-level name -> Tensor entries of a shard's root dict.
struct ShardEntry {
    Value* key = nullptr;
    Value* tensor = nullptr;
};

// A shard's top-level tensors by name, each with the key value the shard's dict already holds (the
// merged dict reuses it rather than making one more string per tensor).
QHash<QString, ShardEntry> tensorsOf(const Value* root)
{
    QHash<QString, ShardEntry> tensors;
    if (!root || root->kind != ValueKind::Dict)
        return tensors;
    tensors.reserve(int(root->entries().size()));
    for (const auto& [key, value] : root->entries()) {
        if (key && key->kind == ValueKind::String && value && value->kind == ValueKind::Tensor)
            tensors.insert(key->text, ShardEntry{key, value});
    }
    return tensors;
}

Error fromShard(Error error, const QString& shard)
{
    error.message = QStringLiteral("shard %1: %2").arg(shard, error.message);
    return error;
}

// A shard's metadata often repeats its neighbours' ({"format": "pt"} in every safetensors shard):
// drops the pairs from `from` on that an earlier pair already states.
void dropRepeatedMetadata(Checkpoint& checkpoint, int from)
{
    QSet<QPair<QString, QString>> seen;
    for (int i = 0; i < from; ++i)
        seen.insert(checkpoint.metadata[i]);
    QVector<QPair<QString, QString>> kept = checkpoint.metadata.mid(0, from);
    for (int i = from; i < checkpoint.metadata.size(); ++i) {
        if (!seen.contains(checkpoint.metadata[i])) {
            seen.insert(checkpoint.metadata[i]);
            kept.append(checkpoint.metadata[i]);
        }
    }
    checkpoint.metadata = std::move(kept);
}

QString plural(qint64 count, const char* noun)
{
    return QString::number(count) + QLatin1Char(' ') + QLatin1String(noun) + (count == 1 ? QString() : QStringLiteral("s"));
}

// "shard X holds 2 tensors the index does not list (a, b)": stale tensors, or a shard from
// another download. Names sorted, so the message does not depend on hash order.
QString describeUnlisted(const QString& shard, QStringList names)
{
    constexpr int kShown = 3;
    std::sort(names.begin(), names.end());
    QStringList shown;
    for (int i = 0; i < names.size() && i < kShown; ++i)
        shown.append(shortName(names[i]));
    if (names.size() > kShown)
        shown.append(QStringLiteral("..."));
    return QStringLiteral("shard %1 holds %2 the index does not list (%3)").arg(shard, plural(names.size(), "tensor"), shown.join(QStringLiteral(", ")));
}

// "sharded, 2 safetensors shards, 291 tensors"; mixed shards: "sharded, 3 shards (1 safetensors,
// 2 torch-zip), 291 tensors".
QString describeShards(const QVector<Format>& formats, int tensorCount)
{
    QMap<QString, int> counts;
    for (const Format format : formats)
        ++counts[formatName(format)];
    const QString tensors = plural(tensorCount, "tensor");
    if (counts.size() == 1) {
        const QString shardWord = formats.size() == 1 ? QStringLiteral("shard") : QStringLiteral("shards");
        return QStringLiteral("sharded, %1 %2 %3, %4").arg(QString::number(formats.size()), counts.firstKey(), shardWord, tensors);
    }
    const QString shards = plural(formats.size(), "shard");
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(QString::number(it.value()) + QLatin1Char(' ') + it.key());
    return QStringLiteral("sharded, %1 (%2), %3").arg(shards, parts.join(QStringLiteral(", ")), tensors);
}

struct Shards {
    QStringList names;  // distinct, in order of first appearance in weight_map
    QStringList paths;  // parallel to names
    QVector<int> ofName;  // parallel to ShardIndex::names: position in names
    QVector<QHash<QString, ShardEntry>> tensors;  // parallel to names, once read: name -> key and Tensor
};

// Checks every shard name before any shard is opened, so a hostile index fails before we touch
// anything it names. "x.safetensors" and "./x.safetensors" are one shard, opened once.
Result<Shards> resolveShards(const ShardIndex& index, const QDir& folder)
{
    Shards shards;
    QHash<QString, int> byCleanName;
    shards.ofName.reserve(index.names.size());
    for (const QString& shard : index.shardOfName) {
        const QString key = QDir::cleanPath(shard);
        auto known = byCleanName.constFind(key);
        if (known == byCleanName.constEnd()) {
            auto path = shardPath(folder, shard);
            if (!path)
                return path.error();
            known = byCleanName.insert(key, int(shards.names.size()));
            shards.names.append(shard);
            shards.paths.append(*path);
        }
        shards.ofName.append(*known);
    }
    return shards;
}

// Maps and reads each shard (appended to checkpoint.files) and keeps its top-level tensors in
// shards->tensors. Returns each shard's format.
Result<QVector<Format>> readShards(Checkpoint& checkpoint, Shards* shards)
{
    QVector<Format> formats;
    for (int i = 0; i < shards->names.size(); ++i) {
        const QString name = shortName(shards->names[i]);
        auto map = MappedFile::open(shards->paths[i]);
        if (!map)
            return fromShard(map.error(), name);
        checkpoint.files.push_back(SourceFile{*map, nullptr});
        const int metadataBefore = int(checkpoint.metadata.size());
        Format format = Format::Safetensors;
        auto root = readFileInto(checkpoint, int(checkpoint.files.size() - 1), &format);
        if (!root)
            return fromShard(root.error(), name);
        if (!*root || (*root)->kind != ValueKind::Dict)
            return makeError(ErrorCode::Unsupported, QStringLiteral("shard %1 does not hold a dict of tensors").arg(name));
        dropRepeatedMetadata(checkpoint, metadataBefore);
        shards->tensors.append(tensorsOf(*root));
        formats.append(format);
    }
    return formats;
}

// The merged dict, in weight_map order. Each name is taken out of its shard's table, so what
// remains there afterwards is what the index does not list.
Result<Value*> mergeInIndexOrder(Checkpoint& checkpoint, const ShardIndex& index, Shards* shards)
{
    Value* merged = checkpoint.arena.make(ValueKind::Dict);
    merged->extras().entries.reserve(size_t(index.names.size()));
    for (int i = 0; i < index.names.size(); ++i) {
        const QString& name = index.names[i];
        const int shard = shards->ofName[i];
        const ShardEntry entry = shards->tensors[shard].take(name);
        if (!entry.tensor)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tensor %1 is not in shard %2").arg(shortName(name), shortName(shards->names[shard])));
        merged->extras().entries.emplace_back(entry.key, entry.tensor);
    }
    return merged;
}

}  // namespace

QString findShardIndex(const QString& path)
{
    const QFileInfo info(path);
    if (!info.isDir())
        return path;
    const QDir folder(path);
    QStringList patterns;
    for (const char* pattern : kIndexPatterns)
        patterns.append(QLatin1String(pattern));
    const QStringList found = folder.entryList(patterns, QDir::Files | QDir::Readable, QDir::Name);
    if (found.isEmpty())
        return {};
    for (const char* preferred : kPreferredIndexes) {
        if (found.contains(QLatin1String(preferred)))
            return folder.filePath(QLatin1String(preferred));
    }
    // Otherwise (diffusers' diffusion_pytorch_model.*, custom names) safetensors first, then by
    // name, so the choice does not depend on the order the file system lists the folder in.
    for (const QString& name : found) {
        if (name.endsWith(QLatin1String(".safetensors.index.json"), Qt::CaseInsensitive))
            return folder.filePath(name);
    }
    return folder.filePath(found.first());
}

Result<Value*> readSharded(Checkpoint& checkpoint, const QString& indexPath)
{
    auto index = parseIndex(indexPath);
    if (!index)
        return index.error();
    auto shards = resolveShards(*index, QFileInfo(indexPath).absoluteDir());
    if (!shards)
        return shards.error();

    checkpoint.metadata += index->metadata;
    if (index->repeatedNames > 0)
        checkpoint.warnings.append(QStringLiteral("the shard index lists %1 more than once; the last entry of each is used").arg(plural(index->repeatedNames, "tensor name")));
    auto formats = readShards(checkpoint, &*shards);
    if (!formats)
        return formats.error();
    auto merged = mergeInIndexOrder(checkpoint, *index, &*shards);
    if (!merged)
        return merged;
    for (int i = 0; i < shards->names.size(); ++i) {
        if (!shards->tensors[i].isEmpty())
            checkpoint.warnings.append(describeUnlisted(shortName(shards->names[i]), shards->tensors[i].keys()));
    }
    checkpoint.format = Format::Sharded;
    checkpoint.formatDetail = describeShards(*formats, int(index->names.size()));
    return merged;
}

}  // namespace statelens
