// safetensors reader. The validation mirrors the reference implementation
// (huggingface/safetensors, src/tensor.rs: SafeTensors::read_metadata and Metadata::validate;
// docs/checkpoint-formats.md §5), so every file safetensors rejects is rejected here too. We are
// stricter in a few places, each marked where it is checked: '{' first, no duplicate names or
// keys, bounded nesting and rank, sizes within 63 bits.
//
// The header is parsed with nlohmann's SAX interface rather than into a DOM: a header may be
// 100 MB, and the event stream lets us reject a hostile one (deep nesting, a bad dtype, a
// negative number) at the first offending token instead of after building a tree of it.
#include "core/formats/safetensors_reader.h"

#include "core/base/reserve_growing.h"

#include "core/base/checked_math.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace statelens {

namespace {

using Json = nlohmann::json;

constexpr qint64 kLengthFieldSize = 8;
// MAX_HEADER_SIZE in the reference implementation.
constexpr quint64 kMaxHeaderSize = 100'000'000;
// Root object > tensor entry or __metadata__ > shape or data_offsets list. Anything deeper can only
// be an ignored field's value, and there is no reason to follow one further.
constexpr int kMaxDepth = 3;
// The format sets no bound; torch itself stops far below this. Bounds memory per tensor.
constexpr int kMaxRank = 1024;

enum FieldBit : unsigned { DtypeField = 1, ShapeField = 2, OffsetsField = 4, AllFields = 7 };

// One tensor entry as the header states it, before any validation of its layout.
struct HeaderTensor {
    std::string name;
    std::string dtypeCode;
    DType dtype = DType::Unknown;
    int bits = 0;  // per logical element: 4 for F4, 6 for F6_*
    QVector<qint64> shape;
    qint64 begin = 0;
    qint64 end = 0;
    int offsetCount = 0;
    unsigned fields = 0;
};

struct ParsedHeader {
    std::vector<HeaderTensor> tensors;  // header order
    std::vector<std::pair<std::string, std::string>> metadata;  // header order
};

// A tensor name or key for an error message: quoted, and cut short, since a hostile header can
// hold a megabyte-long name.
QString quoteName(const std::string& text)
{
    constexpr size_t kMaxBytes = 80;
    size_t length = std::min(text.size(), kMaxBytes);
    // Back off to a UTF-8 character boundary so the cut never splits a character.
    while (length < text.size() && length > 0 && (uchar(text[length]) & 0xC0) == 0x80)
        --length;
    QString result = QString::fromUtf8(text.data(), qsizetype(length));
    if (length < text.size())
        result += QStringLiteral("...");
    return QLatin1Char('\'') + result + QLatin1Char('\'');
}

QString plural(qint64 count, const char* noun)
{
    return QString::number(count) + QLatin1Char(' ') + QLatin1String(noun) + (count == 1 ? QString() : QStringLiteral("s"));
}

// The reason part of an nlohmann parse error, without its "[json.exception...] parse error at
// line 1, column N: " prefix and without the "last read" token, which may be huge.
QString describeJsonError(const std::string& what)
{
    std::string reason = what;
    const size_t prefixEnd = reason.find(": ");
    if (prefixEnd != std::string::npos)
        reason.erase(0, prefixEnd + 2);
    const size_t lastRead = reason.find("; last read: ");
    if (lastRead != std::string::npos) {
        const size_t expected = reason.rfind("; expected ");
        std::string tail = expected != std::string::npos && expected > lastRead ? reason.substr(expected) : std::string();
        reason.erase(lastRead);
        reason += tail;
    }
    if (reason.size() > 200)
        reason.resize(200);
    return QString::fromUtf8(reason.data(), qsizetype(reason.size()));
}

// Offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF: what Rust's str::from_utf8 accepts), or -1.
qint64 firstInvalidUtf8(const char* data, qint64 size)
{
    const auto* bytes = reinterpret_cast<const uchar*>(data);
    qint64 i = 0;
    while (i < size) {
        // Headers are nearly all ASCII: skip it eight bytes at a time.
        while (size - i >= 8) {
            quint64 word;
            std::memcpy(&word, bytes + i, 8);
            if (word & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i == size)
            break;
        const uchar lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        int length = 0;
        uchar low = 0x80, high = 0xBF;  // allowed range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0)
                low = 0xA0;  // overlong
            else if (lead == 0xED)
                high = 0x9F;  // UTF-16 surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0)
                low = 0x90;  // overlong
            else if (lead == 0xF4)
                high = 0x8F;  // above U+10FFFF
        } else {
            return i;
        }
        if (size - i < length || bytes[i + 1] < low || bytes[i + 1] > high)
            return i;
        for (int k = 2; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80)
                return i;
        }
        i += length;
    }
    return -1;
}

// Receives nlohmann's SAX events for the header and fills a ParsedHeader. Every callback returns
// false on the first problem, which stops the parse there; the reason is kept in error().
class HeaderHandler {
public:
    explicit HeaderHandler(ParsedHeader* header) : m_header(header) {}

    bool failed() const { return m_failed; }
    const Error& error() const { return m_error; }

    // nlohmann::json_sax interface. nlohmann reports non-negative integers as number_unsigned and
    // negative ones (and -0) as number_integer; integers beyond 64 bits come as number_float.
    bool null() { return scalar(Scalar::Null); }
    bool boolean(bool) { return scalar(Scalar::Boolean); }
    bool number_integer(Json::number_integer_t) { return scalar(Scalar::Negative); }
    bool number_unsigned(Json::number_unsigned_t value) { return scalar(Scalar::Unsigned, value); }
    bool number_float(Json::number_float_t, const std::string& text)
    {
        const bool integral = text.find_first_of(".eE") == std::string::npos;
        return scalar(integral ? (text[0] == '-' ? Scalar::Negative : Scalar::Huge) : Scalar::Fraction);
    }
    bool string(std::string& value) { return scalar(Scalar::String, 0, &value); }
    bool binary(Json::binary_t&) { return scalar(Scalar::String); }  // JSON text never has binary values
    bool start_object(std::size_t) { return open(Container::Object); }
    bool start_array(std::size_t) { return open(Container::Array); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(std::string& key);
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error)
    {
        const qint64 at = qint64(position) > 0 ? qint64(position) - 1 : 0;
        return fail(ErrorCode::Corrupt,
                    QStringLiteral("safetensors header is not valid JSON (header byte %1): %2").arg(at).arg(describeJsonError(error.what())),
                    kLengthFieldSize + at);
    }

private:
    enum class Scalar { Null, Boolean, Negative, Unsigned, Huge, Fraction, String };
    enum class Container { Object, Array };
    // The open containers.
    enum class Frame { Root, Metadata, Entry, Shape, Offsets, Ignored };
    // What the next value means, from the open container and the key before it.
    enum class Slot { Root, TensorEntry, Metadata, MetadataValue, Dtype, Shape, Offsets, ShapeItem, OffsetsItem, Ignored };

    Slot slot() const;
    bool open(Container container);
    bool close();
    bool scalar(Scalar kind, quint64 number = 0, std::string* text = nullptr);
    bool wrongType(const char* found);
    bool setDtype(std::string& code);
    bool addShapeItem(quint64 value);
    bool addOffset(quint64 value);
    bool fail(ErrorCode code, const QString& message, qint64 offset = -1)
    {
        m_failed = true;
        m_error = makeError(code, message, offset);
        return false;
    }
    HeaderTensor& tensor() { return m_header->tensors.back(); }

    struct DtypeCode {
        std::string code;
        DType dtype = DType::Unknown;
        int bits = 0;
    };

    ParsedHeader* m_header;
    DtypeCode m_lastDtype;
    Frame m_frames[kMaxDepth] = {};
    int m_depth = 0;
    Slot m_pending = Slot::Ignored;  // set by key(): the meaning of the value that follows it
    bool m_seenMetadata = false;
    bool m_failed = false;
    Error m_error;
};

HeaderHandler::Slot HeaderHandler::slot() const
{
    if (m_depth == 0)
        return Slot::Root;
    switch (m_frames[m_depth - 1]) {
    case Frame::Root:
    case Frame::Metadata:
    case Frame::Entry:
        return m_pending;
    case Frame::Shape:
        return Slot::ShapeItem;
    case Frame::Offsets:
        return Slot::OffsetsItem;
    case Frame::Ignored:
        return Slot::Ignored;
    }
    return Slot::Ignored;
}

bool HeaderHandler::open(Container container)
{
    const bool object = container == Container::Object;
    Frame frame = Frame::Ignored;
    switch (slot()) {
    case Slot::Root:
        if (!object)
            return wrongType("a list");
        frame = Frame::Root;
        break;
    case Slot::TensorEntry:
        if (!object)
            return wrongType("a list");
        frame = Frame::Entry;
        break;
    case Slot::Metadata:
        if (!object)
            return wrongType("a list");
        frame = Frame::Metadata;
        break;
    case Slot::Shape:
        if (object)
            return wrongType("an object");
        frame = Frame::Shape;
        tensor().shape.reserve(4);  // one allocation for the usual ranks
        break;
    case Slot::Offsets:
        if (object)
            return wrongType("an object");
        frame = Frame::Offsets;
        break;
    case Slot::Ignored:
        frame = Frame::Ignored;
        break;
    case Slot::MetadataValue:
    case Slot::Dtype:
    case Slot::ShapeItem:
    case Slot::OffsetsItem:
        return wrongType(object ? "an object" : "a list");
    }
    // Only an ignored field's value can get here at the limit; checked before pushing, so a
    // megabyte of '[' stops at the fourth one.
    if (m_depth == kMaxDepth)
        return fail(ErrorCode::LimitExceeded, QStringLiteral("safetensors header nests deeper than %1 levels").arg(kMaxDepth));
    m_frames[m_depth++] = frame;
    m_pending = Slot::Ignored;  // until a key says otherwise
    return true;
}

bool HeaderHandler::close()
{
    const Frame frame = m_frames[--m_depth];  // nlohmann only closes what it opened
    if (frame == Frame::Entry && tensor().fields != AllFields) {
        const unsigned fields = tensor().fields;
        const char* missing = !(fields & DtypeField) ? "dtype" : !(fields & ShapeField) ? "shape" : "data_offsets";
        return fail(ErrorCode::Corrupt, QStringLiteral("tensor %1 has no '%2' field").arg(quoteName(tensor().name), QLatin1String(missing)));
    }
    if (frame == Frame::Offsets && tensor().offsetCount != 2)
        return fail(ErrorCode::Corrupt, QStringLiteral("data_offsets of tensor %1 holds %2, not [begin, end]").arg(quoteName(tensor().name), plural(tensor().offsetCount, "number")));
    m_pending = Slot::Ignored;
    return true;
}

bool HeaderHandler::key(std::string& key)
{
    switch (m_frames[m_depth - 1]) {
    case Frame::Root:
        if (key == "__metadata__") {
            if (m_seenMetadata)
                return fail(ErrorCode::Corrupt, QStringLiteral("safetensors header has two __metadata__ entries"));
            m_seenMetadata = true;
            m_pending = Slot::Metadata;
        } else {
            m_header->tensors.emplace_back();
            tensor().name = std::move(key);
            m_pending = Slot::TensorEntry;
        }
        return true;
    case Frame::Metadata:
        m_header->metadata.emplace_back(std::move(key), std::string());
        m_pending = Slot::MetadataValue;
        return true;
    case Frame::Entry: {
        unsigned bit = 0;
        if (key == "dtype") {
            bit = DtypeField;
            m_pending = Slot::Dtype;
        } else if (key == "shape") {
            bit = ShapeField;
            m_pending = Slot::Shape;
        } else if (key == "data_offsets") {
            bit = OffsetsField;
            m_pending = Slot::Offsets;
        } else {
            m_pending = Slot::Ignored;  // unknown fields are ignored, as serde does
            return true;
        }
        if (tensor().fields & bit)
            return fail(ErrorCode::Corrupt, QStringLiteral("tensor %1 has two '%2' fields").arg(quoteName(tensor().name), QString::fromStdString(key)));
        tensor().fields |= bit;
        return true;
    }
    case Frame::Shape:
    case Frame::Offsets:
    case Frame::Ignored:
        return true;
    }
    return true;
}

bool HeaderHandler::scalar(Scalar kind, quint64 number, std::string* text)
{
    static const char* const kFound[] = {"null", "a boolean", "a negative number", "a number",
                                         "an integer beyond 64 bits", "a non-integer number", "a string"};
    const char* found = kFound[int(kind)];
    switch (slot()) {
    case Slot::Metadata:
        // Apple MLX writes "__metadata__": null; the reference's Option<HashMap> accepts it.
        return kind == Scalar::Null || wrongType(found);
    case Slot::MetadataValue:
        if (kind != Scalar::String)
            return wrongType(found);
        m_header->metadata.back().second = std::move(*text);
        return true;
    case Slot::Dtype:
        return kind == Scalar::String ? setDtype(*text) : wrongType(found);
    case Slot::ShapeItem:
        return kind == Scalar::Unsigned ? addShapeItem(number) : wrongType(found);
    case Slot::OffsetsItem:
        return kind == Scalar::Unsigned ? addOffset(number) : wrongType(found);
    case Slot::Ignored:
        return true;
    case Slot::Root:
    case Slot::TensorEntry:
    case Slot::Shape:
    case Slot::Offsets:
        return wrongType(found);
    }
    return true;
}

// The value in the current slot has the wrong JSON type.
bool HeaderHandler::wrongType(const char* found)
{
    const QString what = QLatin1String(found);
    const auto name = [this] { return quoteName(tensor().name); };
    switch (slot()) {
    case Slot::Root:
        return fail(ErrorCode::Corrupt, QStringLiteral("safetensors header is %1, not a JSON object").arg(what));
    case Slot::TensorEntry:
        return fail(ErrorCode::Corrupt, QStringLiteral("entry of tensor %1 is %2, not an object").arg(name(), what));
    case Slot::Metadata:
        return fail(ErrorCode::Corrupt, QStringLiteral("__metadata__ is %1, not an object of strings").arg(what));
    case Slot::MetadataValue:
        return fail(ErrorCode::Corrupt, QStringLiteral("__metadata__ value of %1 is %2, not a string").arg(quoteName(m_header->metadata.back().first), what));
    case Slot::Dtype:
        return fail(ErrorCode::Corrupt, QStringLiteral("dtype of tensor %1 is %2, not a string").arg(name(), what));
    case Slot::Shape:
        return fail(ErrorCode::Corrupt, QStringLiteral("shape of tensor %1 is %2, not a list").arg(name(), what));
    case Slot::Offsets:
        return fail(ErrorCode::Corrupt, QStringLiteral("data_offsets of tensor %1 is %2, not a list").arg(name(), what));
    case Slot::ShapeItem:
        return fail(ErrorCode::Corrupt, QStringLiteral("shape of tensor %1 holds %2, not a non-negative integer").arg(name(), what));
    case Slot::OffsetsItem:
        return fail(ErrorCode::Corrupt, QStringLiteral("data_offsets of tensor %1 holds %2, not a non-negative integer").arg(name(), what));
    case Slot::Ignored:
        break;
    }
    return true;
}

bool HeaderHandler::setDtype(std::string& code)
{
    HeaderTensor& entry = tensor();
    // A file uses a handful of dtypes for thousands of tensors: remember the last one looked up.
    if (code != m_lastDtype.code) {
        m_lastDtype = {};
        // Every code in the spec is short; a long string is unknown without converting it.
        if (code.size() <= 16) {
            const QString text = QString::fromLatin1(code.data(), qsizetype(code.size()));
            m_lastDtype = {code, dtypeFromSafetensors(text), safetensorsBits(text)};
        }
    }
    if (m_lastDtype.dtype == DType::Unknown || m_lastDtype.bits <= 0)
        return fail(ErrorCode::Corrupt, QStringLiteral("tensor %1 has unknown dtype %2").arg(quoteName(entry.name), quoteName(code)));
    entry.dtype = m_lastDtype.dtype;
    entry.bits = m_lastDtype.bits;
    entry.dtypeCode = std::move(code);
    return true;
}

bool HeaderHandler::addShapeItem(quint64 value)
{
    HeaderTensor& entry = tensor();
    if (value > quint64(std::numeric_limits<qint64>::max()))
        return fail(ErrorCode::LimitExceeded, QStringLiteral("shape of tensor %1 has dimension %2, beyond 64-bit sizes").arg(quoteName(entry.name)).arg(value));
    if (entry.shape.size() >= kMaxRank)
        return fail(ErrorCode::LimitExceeded, QStringLiteral("shape of tensor %1 has more than %2 dimensions").arg(quoteName(entry.name)).arg(kMaxRank));
    entry.shape.append(qint64(value));
    return true;
}

bool HeaderHandler::addOffset(quint64 value)
{
    HeaderTensor& entry = tensor();
    if (entry.offsetCount >= 2)
        return fail(ErrorCode::Corrupt, QStringLiteral("data_offsets of tensor %1 holds more than [begin, end]").arg(quoteName(entry.name)));
    // No file reaches 2^63 bytes, so such an offset is wrong whatever the rest says.
    if (value > quint64(std::numeric_limits<qint64>::max()))
        return fail(ErrorCode::Corrupt, QStringLiteral("data_offsets of tensor %1 holds %2, beyond any file").arg(quoteName(entry.name)).arg(value));
    (entry.offsetCount == 0 ? entry.begin : entry.end) = qint64(value);
    ++entry.offsetCount;
    return true;
}

Result<ParsedHeader> parseHeader(const char* begin, qint64 size)
{
    ParsedHeader header;
    HeaderHandler handler(&header);
    try {
        // strict: the object must be followed by nothing but whitespace (the spaces that pad
        // the header to an 8-byte boundary).
        const bool ok = Json::sax_parse(begin, begin + size, &handler, nlohmann::json::input_format_t::json, true);
        if (handler.failed())
            return handler.error();
        if (!ok)
            return makeError(ErrorCode::Corrupt, QStringLiteral("safetensors header is not valid JSON"));
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("out of memory while parsing the safetensors header"));
    } catch (const std::exception& e) {
        // sax_parse reports syntax errors through the handler; this is only a last line of defence.
        return makeError(ErrorCode::Corrupt, QStringLiteral("safetensors header could not be parsed: %1").arg(QString::fromUtf8(e.what())));
    }
    return header;
}

// Fills `order` with the positions 0..count-1 sorted by nameOf(position); returns a position whose
// name occurs twice, or -1. Sorting finds duplicates without a hash set of every name.
template <typename NameOf>
int sortByNameFindDuplicate(std::vector<int>& order, size_t count, NameOf nameOf)
{
    order.resize(count);
    std::iota(order.begin(), order.end(), 0);
    // Byte order of UTF-8 is code point order: the order Python's sorted() gives the names.
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return nameOf(a) < nameOf(b); });
    for (size_t i = 1; i < order.size(); ++i) {
        if (nameOf(order[i]) == nameOf(order[i - 1]))
            return order[i];
    }
    return -1;
}

// Positions of the tensors sorted by (begin, end), the order Metadata::validate walks them in;
// header order among equal offsets (empty tensors), so messages do not vary from run to run.
std::vector<int> sortByOffsets(const std::vector<HeaderTensor>& tensors)
{
    std::vector<int> order(tensors.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return std::make_pair(tensors[size_t(a)].begin, tensors[size_t(a)].end) < std::make_pair(tensors[size_t(b)].begin, tensors[size_t(b)].end);
    });
    return order;
}

// Metadata::validate: walking the tensors in data order, each must start where the previous one
// ended and hold exactly the bytes its dtype and shape need. Returns the end of the last one.
Result<qint64> validateLayout(const std::vector<HeaderTensor>& tensors, const std::vector<int>& byOffset, qint64 dataStart)
{
    qint64 start = 0;
    for (const int index : byOffset) {
        const HeaderTensor& t = tensors[size_t(index)];
        const QString name = quoteName(t.name);
        qint64 at = -1;  // file offset for the error; begin may be any 63-bit number here
        if (!checkedAdd(dataStart, t.begin, &at))
            at = -1;
        if (t.begin < start)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tensor %1 overlaps the tensor before it (its data starts at byte %2 of the data, the previous one ends at %3)").arg(name).arg(t.begin).arg(start), at);
        if (t.begin > start)
            return makeError(ErrorCode::Corrupt, QStringLiteral("gap of %1 bytes before tensor %2 (its data starts at byte %3 of the data, the previous one ends at %4)").arg(t.begin - start).arg(name).arg(t.begin).arg(start), at);
        if (t.end < t.begin)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tensor %1 has data_offsets [%2, %3] that end before they begin").arg(name).arg(t.begin).arg(t.end), at);
        qint64 numel = 1;
        for (const qint64 dim : t.shape) {
            if (!checkedMul(numel, dim, &numel))
                return makeError(ErrorCode::Corrupt, QStringLiteral("element count of tensor %1 overflows").arg(name), at);
        }
        // Not a reference rule: an empty tensor such as [0, 2^62, 8] passes it, but its strides do
        // not fit in 64 bits, and torch cannot create it either.
        qint64 span = 1;
        for (const qint64 dim : t.shape) {
            if (!checkedMul(span, std::max<qint64>(dim, 1), &span))
                return makeError(ErrorCode::LimitExceeded, QStringLiteral("shape of tensor %1 is beyond 64-bit sizes").arg(name), at);
        }
        qint64 nbits = 0;
        if (!checkedMul(numel, qint64(t.bits), &nbits))
            return makeError(ErrorCode::Corrupt, QStringLiteral("size in bits of tensor %1 overflows").arg(name), at);
        if (nbits % 8 != 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tensor %1 is misaligned: %2 elements of %3 bits are not a whole number of bytes").arg(name).arg(numel).arg(t.bits), at);
        if (t.end - t.begin != nbits / 8)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tensor %1 spans %2 bytes, but %3 elements of %4 need %5").arg(name).arg(t.end - t.begin).arg(numel).arg(QString::fromStdString(t.dtypeCode)).arg(nbits / 8), at);
        start = t.end;
    }
    return start;
}

// The shape torch reports. Torch has no 4-bit element type: safetensors' F4 loads as
// float4_e2m1fn_x2, one element per byte holding two values, so the last dimension halves.
QVector<qint64> torchShape(const HeaderTensor& t, qint64 nbytes, QStringList* warnings)
{
    if (t.dtype != DType::Float4_e2m1fn_x2)
        return t.shape;  // F6_* have no torch dtype either; they keep the logical shape
    QVector<qint64> shape = t.shape;
    if (!shape.isEmpty() && shape.last() % 2 == 0) {
        shape.last() /= 2;
        return shape;
    }
    // Pairs straddle rows, so no float4_e2m1fn_x2 shape fits; list it as the flat byte run, so the
    // tensor still covers exactly its storage.
    QStringList dims;
    for (const qint64 dim : t.shape)
        dims.append(QString::number(dim));
    warnings->append(QStringLiteral("tensor %1 is F4 with an odd last dimension (shape [%2]); it is listed as %3 packed bytes")
                         .arg(quoteName(t.name), dims.join(QStringLiteral(", ")))
                         .arg(nbytes));
    return {nbytes};
}

quint64 readLittleEndian64(const char* data)
{
    quint64 value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | uchar(data[i]);
    return value;
}

// SafeTensors::read_metadata's checks on the length field, in its order. Returns N.
Result<qint64> readHeaderLength(const MappedFile& file)
{
    const qint64 fileSize = file.size();
    if (fileSize < kLengthFieldSize)
        return makeError(ErrorCode::Truncated, QStringLiteral("file of %1 is too small for a safetensors header").arg(plural(fileSize, "byte")));
    const quint64 length = readLittleEndian64(file.data());
    if (length > kMaxHeaderSize)
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("safetensors header of %1 bytes exceeds the limit of %2 bytes").arg(length).arg(kMaxHeaderSize), 0);
    if (!file.contains(kLengthFieldSize, qint64(length)))
        return makeError(ErrorCode::Truncated, QStringLiteral("safetensors header of %1 bytes runs past the end of the file (%2 bytes)").arg(length).arg(fileSize), 0);
    return qint64(length);
}

// The header bytes before any JSON parsing: '{' first, no NUL, well-formed UTF-8.
Status checkHeaderText(const char* header, qint64 length)
{
    // JSON whitespace may come first: the reference's serde_json skips it (safetensors#686 dropped
    // the '{' check, which had always been commented out; test_whitespace_leading_padded_header).
    qint64 first = 0;
    while (first < length && (header[first] == ' ' || header[first] == '\t' || header[first] == '\r' || header[first] == '\n'))
        ++first;
    if (first == length)
        return makeError(ErrorCode::Corrupt, QStringLiteral("safetensors header holds no JSON object (EOF while parsing a value)"), kLengthFieldSize);
    if (header[first] != '{')
        return makeError(ErrorCode::Corrupt, QStringLiteral("safetensors header is not a JSON object (it starts with '%1' at header byte %2)")
                                                 .arg(QChar(uchar(header[first]) < 0x80 && uchar(header[first]) >= 0x20 ? QChar(header[first]) : QChar(u'?')))
                                                 .arg(first), kLengthFieldSize + first);
    // nlohmann takes a NUL byte for the end of the input, so "{}\0<anything>" would parse; JSON
    // allows no raw NUL anywhere, and serde_json rejects it.
    if (const void* nul = std::memchr(header, 0, size_t(length))) {
        const qint64 at = static_cast<const char*>(nul) - header;
        return makeError(ErrorCode::Corrupt, QStringLiteral("safetensors header is not valid JSON: NUL byte at header byte %1").arg(at), kLengthFieldSize + at);
    }
    if (const qint64 bad = firstInvalidUtf8(header, length); bad >= 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("safetensors header is not valid UTF-8 (header byte %1)").arg(bad), kLengthFieldSize + bad);
    return Ok{};
}

// Stricter than the reference, whose HashMaps keep one of two equal keys silently. Fills
// *byName with the tensors' positions sorted by name.
Status checkUniqueNames(const ParsedHeader& header, std::vector<int>* byName)
{
    const auto& tensors = header.tensors;
    const int duplicate = sortByNameFindDuplicate(*byName, tensors.size(), [&](int i) -> const std::string& { return tensors[size_t(i)].name; });
    if (duplicate >= 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("tensor name %1 appears twice in the safetensors header").arg(quoteName(tensors[size_t(duplicate)].name)));
    const auto& metadata = header.metadata;
    std::vector<int> byKey;
    const int duplicateKey = sortByNameFindDuplicate(byKey, metadata.size(), [&](int i) -> const std::string& { return metadata[size_t(i)].first; });
    if (duplicateKey >= 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("__metadata__ key %1 appears twice in the safetensors header").arg(quoteName(metadata[size_t(duplicateKey)].first)));
    return Ok{};
}

// The data must end exactly at the end of the file: no bytes may follow the last tensor ("prevents
// the creation of polyglot files"), none may be missing.
Status checkFileEnd(const MappedFile& file, qint64 dataStart, qint64 dataEnd)
{
    qint64 needed = 0;
    const bool overflow = !checkedAdd(dataStart, dataEnd, &needed);
    if (overflow || needed > file.size())
        return makeError(ErrorCode::Truncated, QStringLiteral("file is truncated: tensors need %1 bytes, the file has %2")
                                                   .arg(overflow ? QStringLiteral("more than 2^63") : QString::number(needed))
                                                   .arg(file.size()));
    if (needed < file.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("the file has %1 after the last tensor").arg(plural(file.size() - needed, "byte")), needed);
    return Ok{};
}

// One storage, one rebuilt tensor and one dict entry per tensor, in `order`. Returns the dict.
Value* appendTensors(Checkpoint& checkpoint, int fileIndex, const std::vector<HeaderTensor>& tensors,
                     const std::vector<int>& order, qint64 dataStart)
{
    Value* root = checkpoint.arena.make(ValueKind::Dict);
    root->extras().entries.reserve(tensors.size());
    reserveGrowing(checkpoint.rebuilt, checkpoint.rebuilt.size() + tensors.size());
    reserveGrowing(checkpoint.storages, size_t(checkpoint.storages.size()) + tensors.size());
    for (const int index : order) {
        const HeaderTensor& t = tensors[size_t(index)];
        const QString name = QString::fromUtf8(t.name.data(), qsizetype(t.name.size()));

        StorageInfo storage;
        storage.key = name;
        storage.dtype = t.dtype;
        storage.nbytes = t.end - t.begin;
        storage.location = QStringLiteral("cpu");
        storage.file = fileIndex;
        storage.fileOffset = dataStart + t.begin;  // validated: within the file
        checkpoint.storages.append(storage);

        TensorInfo tensor;
        tensor.dtype = t.dtype;
        tensor.shape = torchShape(t, storage.nbytes, &checkpoint.warnings);
        tensor.strides = contiguousStrides(tensor.shape);
        tensor.storageOffset = 0;
        tensor.storage = int(checkpoint.storages.size() - 1);
        checkpoint.rebuilt.push_back(std::move(tensor));

        Value* key = checkpoint.arena.make(ValueKind::String);
        key->text = name;
        Value* value = checkpoint.arena.make(ValueKind::Tensor);
        value->index = int(checkpoint.rebuilt.size() - 1);
        root->extras().entries.emplace_back(key, value);
    }
    return root;
}

}  // namespace

Result<Value*> readSafetensors(Checkpoint& checkpoint, int fileIndex)
{
    if (fileIndex < 0 || size_t(fileIndex) >= checkpoint.files.size() || !checkpoint.files[size_t(fileIndex)].map)
        return makeError(ErrorCode::Io, QStringLiteral("no mapped file %1").arg(fileIndex));
    const MappedFile& file = *checkpoint.files[size_t(fileIndex)].map;

    auto headerLength = readHeaderLength(file);
    if (!headerLength)
        return headerLength.error();
    const qint64 length = *headerLength;
    const char* headerBytes = file.data() + kLengthFieldSize;
    if (auto text = checkHeaderText(headerBytes, length); !text)
        return text.error();
    auto parsed = parseHeader(headerBytes, length);
    if (!parsed)
        return parsed.error();

    std::vector<int> byName;
    if (auto unique = checkUniqueNames(*parsed, &byName); !unique)
        return unique.error();
    const qint64 dataStart = kLengthFieldSize + length;
    auto dataEnd = validateLayout(parsed->tensors, sortByOffsets(parsed->tensors), dataStart);
    if (!dataEnd)
        return dataEnd.error();
    if (auto end = checkFileEnd(file, dataStart, *dataEnd); !end)
        return end.error();

    // In name order: safetensors.torch.load_file returns the dict in safe_open.keys() order, which
    // is sorted by name. (Newer releases may iterate offset_keys(), i.e. sortByOffsets() order; the
    // torch-written fixtures settle which one a given safetensors version uses.)
    Value* root = appendTensors(checkpoint, fileIndex, parsed->tensors, byName, dataStart);
    for (const auto& [key, text] : parsed->metadata)
        checkpoint.metadata.append({QString::fromUtf8(key.data(), qsizetype(key.size())), QString::fromUtf8(text.data(), qsizetype(text.size()))});
    checkpoint.formatDetail = QStringLiteral("safetensors, header %1, %2").arg(plural(length, "byte"), plural(qint64(parsed->tensors.size()), "tensor"));
    return root;
}

}  // namespace statelens
