/** Where WeChat Pay posts refund notices for a merchant (orders' refunds and charges' alike). */
export const refundNotifyUrl = (publicUrl: string, merchantId: string) =>
  `${publicUrl}/pay/refund-notify/${merchantId}`;
