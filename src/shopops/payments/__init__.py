"""Payments: collecting money through providers, their notifications, refunds and reconciliation.

Design in one page (details in each module's docstring):

- Boundaries. Payments never imports orders. A `Payment` carries a `reference` (the order group /
  parent order number chosen by the caller) and announces its state changes with the signals in
  `signals` (payment_succeeded, payment_failed, payment_closed, payment_succeeded_after_close,
  payment_flagged, refund_succeeded, refund_failed), each sent once per state change after commit.
  `hooks.register_payable_resolver` lets the owning app tell the payer API what a reference costs.
  Other apps write through `services` and read through `selectors` only.
- Providers. `gateways.base.PaymentGateway` is the interface (create_payment, parse_notification,
  query, refund, query_refund, close, notification_response); `gateways.get_gateway(channel)`
  picks the adapter from settings: `gateways.sandbox` (a provider on this machine with a cashier
  page and HMAC-signed notifications delivered by a Celery task), `gateways.alipay`
  (python-alipay-sdk, RSA2) and `gateways.wechat` (wechatpayv3, API v3, platform public key). The
  adapters reach the network only through `gateways.transport`, which tests replace with fakes.
- Money rules. Decimal yuan everywhere (core.money); a notification whose amount or currency
  differs is stored, flagged and not credited; refunds are reserved under the payment's row lock
  so they never exceed what was paid; every notification is stored raw before anything else.
- Tasks. retry_refunds and poll_pending_payments every minute (polling just before the deadline
  catches lost notifications; past it plus a grace period the payment is closed),
  daily_reconciliation at 03:30 for yesterday.

Settings (all optional, read with getattr; defaults in brackets):
  PAYMENTS_CHANNELS [sandbox if enabled + every configured provider]   PAYMENTS_GATEWAYS [{}]
  PAYMENTS_SANDBOX_ENABLED [DEBUG]   PAYMENTS_SANDBOX_SECRET [derived from SECRET_KEY]
  PAYMENTS_SANDBOX_NOTIFY_TRANSPORT ["auto": in-process when Celery is eager, else HTTP]
  PAYMENTS_NOTIFY_BASE_URL [SITE_URL]   PAYMENTS_NOTIFY_MAX_SKEW_SECONDS [300]
  PAYMENTS_DEFAULT_TTL_MINUTES [30]   PAYMENTS_POLL_BEFORE_EXPIRY_SECONDS [300]
  PAYMENTS_EXPIRY_GRACE_SECONDS [120]   PAYMENTS_REFUND_MAX_ATTEMPTS [12]
  ALIPAY_APP_ID, ALIPAY_APP_PRIVATE_KEY, ALIPAY_PUBLIC_KEY, ALIPAY_SANDBOX, ALIPAY_SELLER_ID,
  ALIPAY_TIMEOUT_SECONDS; WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_PRIVATE_KEY,
  WECHATPAY_CERT_SERIAL_NO, WECHATPAY_APIV3_KEY, WECHATPAY_PUBLIC_KEY, WECHATPAY_PUBLIC_KEY_ID,
  WECHATPAY_TIMEOUT_SECONDS.
"""
