"""pregnancy outcome: how a pregnancy ended (birth or loss) and its gestational age then

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pregnancy_outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('delivery_weeks', sa.Integer(), nullable=True))
    # every delivery recorded before this revision was a reported birth
    op.execute("UPDATE person SET pregnancy_outcome = 'birth' WHERE delivery_date IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('delivery_weeks')
        batch_op.drop_column('pregnancy_outcome')
