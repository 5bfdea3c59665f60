"""alert lifecycle: who accepted and closed an alert and when, what the report says about who
is affected and the danger signs; reports closed by SELESAI read 'resolved' like the dashboard's

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('signs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_alert_closed_by_worker', 'worker', ['closed_by'], ['id'])
    # the kader commands used to write the alert's status ('done') into its report
    op.execute("UPDATE report SET status = 'resolved' WHERE status = 'done'")


def downgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alert_closed_by_worker', type_='foreignkey')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('signs')
        batch_op.drop_column('about')
