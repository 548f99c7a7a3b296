#include "core/formats/storage_pid.h"

#include "core/base/checked_math.h"

namespace statelens {

bool textOf(const Value* value, QString* text)
{
    if (!value)
        return false;
    if (value->kind == ValueKind::String) {
        *text = value->text;
        return true;
    }
    if (value->kind == ValueKind::Bytes) {  // torch's _maybe_decode_ascii
        *text = QString::fromLatin1(value->bytes());
        return true;
    }
    if (value->kind == ValueKind::Int) {  // some writers use integer keys
        *text = QString::number(value->integer);
        return true;
    }
    return false;
}

Result<StoragePid> parseStoragePid(const Value* pid)
{
    if (!pid || pid->kind != ValueKind::Tuple || pid->items.size() < 5 || pid->items.size() > 6)
        return makeError(ErrorCode::Corrupt, QStringLiteral("persistent id is not a storage tuple: %1").arg(pid ? pid->summary(80) : QStringLiteral("nothing")));
    QString tag;
    if (!textOf(pid->items[0], &tag) || tag != QLatin1String("storage"))
        return makeError(ErrorCode::Corrupt, QStringLiteral("persistent id tag is %1, not 'storage'").arg(pid->items[0]->summary(40)));
    StoragePid result;
    const Value* type = pid->items[1];
    if (type->kind == ValueKind::Global)
        result.storageClass = type->text;
    else if (type->kind == ValueKind::DType)  // recent writers may name the dtype directly
        result.storageClass = dtypeName(type->dtype);
    result.dtype = type->kind == ValueKind::DType ? type->dtype : dtypeFromStorageClass(result.storageClass);
    if (result.dtype == DType::Unknown)
        return makeError(ErrorCode::Unsupported, QStringLiteral("unknown storage type %1").arg(type->summary(60)));
    if (!textOf(pid->items[2], &result.key))
        return makeError(ErrorCode::Corrupt, QStringLiteral("storage key is %1, not a string").arg(pid->items[2]->summary(40)));
    if (!textOf(pid->items[3], &result.location))
        result.location = QStringLiteral("cpu");
    if (pid->items[4]->kind != ValueKind::Int || pid->items[4]->integer < 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' has a bad element count %2").arg(result.key, pid->items[4]->summary(40)));
    result.numel = pid->items[4]->integer;
    if (!checkedMul(result.numel, qint64(dtypeItemSize(result.dtype)), &result.nbytes))
        return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' claims %2 elements: the byte size overflows").arg(result.key).arg(result.numel));
    if (pid->items.size() == 6 && pid->items[5]->kind != ValueKind::None)
        result.viewMetadata = pid->items[5];
    return result;
}


}  // namespace statelens
